// The languages Whisper knows, in the order of their tokens (<|en|> first, <|yue|> last, which only
// large-v3 vocabularies hold), with their names, so a language can be asked for by code or name.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lre::asr {

struct WhisperLanguage {
  const char* code;  // "en": the token is <|en|>
  const char* name;  // "english", lower case as Whisper spells it
};

std::span<const WhisperLanguage> whisper_languages();

// A code ("en"), a name in any case ("English") or one of the names Whisper also accepts
// ("castilian", "mandarin", ...) to the code; nullopt when none of these.
std::optional<std::string> whisper_language_code(std::string_view code_or_name);

}  // namespace lre::asr
