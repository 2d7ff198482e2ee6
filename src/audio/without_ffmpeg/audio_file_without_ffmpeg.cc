// Audio files in builds without FFmpeg (LRE_FFMPEG=OFF, as in the GPU machine's package): the API
// of audio_file.h stays, and each call says how to hand audio in instead.
#include <string>

#include "audio/audio_file.h"
#include "lre/error.h"

namespace lre::audio {

namespace {

[[noreturn]] void no_decoder(const std::string& name) {
  throw Error(ErrorCode::Unsupported, "audio '" + name +
                                          "': this build decodes no audio files (configure with -DLRE_FFMPEG=ON); "
                                          "pass 16 kHz samples or log-mel input instead");
}

}  // namespace

bool can_decode_audio_files() { return false; }

DecodedAudio decode_audio(const std::string& path, const DecodeOptions&) { no_decoder(path); }

DecodedAudio decode_audio_from_memory(std::span<const uint8_t>, const DecodeOptions&, const std::string& name) {
  no_decoder(name);
}

std::vector<float> load_audio(const std::string& path, int) { no_decoder(path); }

std::vector<float> load_audio_from_memory(std::span<const uint8_t>, int, const std::string& name) { no_decoder(name); }

AudioInfo probe_audio(const std::string& path) { no_decoder(path); }

AudioInfo probe_audio_from_memory(std::span<const uint8_t>, const std::string& name) { no_decoder(name); }

}  // namespace lre::audio
