// _pylre.WhisperModel, the C++ half of pylre.WhisperModel: Whisper transcription and language
// detection over a WhisperEngine loaded once, with the GIL released while audio is decoded and
// transcribed.
#pragma once

#include <pybind11/pybind11.h>

namespace lre::python {

// Adds the WhisperModel class to the _pylre module.
void register_whisper_model(pybind11::module_& m);

}  // namespace lre::python
