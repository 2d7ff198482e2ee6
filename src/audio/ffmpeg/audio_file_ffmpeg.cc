// Audio decoding with FFmpeg: a custom AVIOContext over a file descriptor or a memory buffer, the
// best audio stream decoded with the send/receive API, channels averaged by hand per sample format,
// and the mono stream resampled by soxr as it is decoded, so memory holds only the output.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/log.h>
}

#include "audio/audio_file.h"
#include "audio/resample.h"
#include "lre/error.h"

namespace lre::audio {

namespace {

// FFmpeg's own bound on a stream's channel count (FF_SANE_NB_CHANNELS); more is a hostile header.
constexpr int kMaxChannels = 512;
constexpr int kAvioBufferSize = 64 * 1024;
// Demuxers re-read parts of the input (probing, the end of the file for its duration); more passes
// than this over the whole input means a seek loop in a damaged file, not progress.
constexpr int64_t kMaxReadPasses = 8;
// A complete file may decode slightly shorter than its header says: lossy codecs count priming and
// padding in it (an MP3's Xing header, up to ~0.2 s at 8 kHz), lossless ones only round.
constexpr double kLossyTruncationSlackS = 0.25;
constexpr double kLossyTruncationSlackFraction = 0.005;
constexpr double kLosslessTruncationSlackS = 0.01;
// WAV chunks before the data chunk are few (fmt, fact, LIST, bext); more means a damaged header.
constexpr int kMaxRiffChunks = 64;
// The first few error lines carry the cause; a damaged file can emit thousands.
constexpr size_t kMaxLogLines = 3;

std::string quoted(const std::string& name) { return "'" + name + "'"; }

std::string av_error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof(text));
  return text;
}

// ---- FFmpeg's log, captured per thread -----------------------------------------------------
// av_log's callback is process-wide. Ours prints nothing; while a decode runs on a thread, the
// error lines FFmpeg emits there are kept to explain the failure (decoding uses one thread).

struct LogLines {
  std::vector<std::string> lines;
};
thread_local LogLines* t_log_lines = nullptr;

void capture_log(void* object, int level, const char* format, va_list args) {
  LogLines* sink = t_log_lines;
  if ((level & 0xff) > AV_LOG_ERROR || sink == nullptr || sink->lines.size() >= kMaxLogLines) return;
  char text[512];
  va_list copy;
  va_copy(copy, args);
  std::vsnprintf(text, sizeof(text), format, copy);
  va_end(copy);
  std::string line(text);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  if (line.empty()) return;
  const AVClass* av_class = object != nullptr ? *static_cast<const AVClass* const*>(object) : nullptr;
  if (av_class != nullptr && av_class->item_name != nullptr)
    line = std::string(av_class->item_name(object)) + ": " + line;
  sink->lines.push_back(std::move(line));
}

class LogScope {
 public:
  LogScope() : outer_(t_log_lines) {
    static std::once_flag installed;
    std::call_once(installed, [] { av_log_set_callback(capture_log); });
    t_log_lines = &lines_;
  }
  ~LogScope() { t_log_lines = outer_; }
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

  // " (FFmpeg: line; line)", or nothing when FFmpeg said nothing.
  std::string suffix() const {
    if (lines_.lines.empty()) return "";
    std::string text = " (FFmpeg: ";
    for (size_t i = 0; i < lines_.lines.size(); ++i) text += (i ? "; " : "") + lines_.lines[i];
    return text + ")";
  }

 private:
  LogLines lines_;
  LogLines* outer_;
};

// ---- Input bytes ------------------------------------------------------------------------------
// Both inputs are random-access with a known size, which is all FFmpeg's AVIO needs; reading a
// file through a descriptor (not a URL) keeps FFmpeg's protocols, network ones included, unused.

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  int64_t size() const { return size_; }

  // AVIO's read: bytes read, AVERROR_EOF at the end, AVERROR(EIO) on a failed read.
  int read(uint8_t* buffer, int capacity) {
    if (position_ >= size_) return AVERROR_EOF;
    if (bytes_read_ > kMaxReadPasses * size_ + kAvioBufferSize) {
      av_log(nullptr, AV_LOG_ERROR, "input read more than %d times over; giving up\n",
             static_cast<int>(kMaxReadPasses));
      return AVERROR_INVALIDDATA;
    }
    const int64_t n = read_at(position_, buffer, std::min<int64_t>(capacity, size_ - position_));
    if (n < 0) return AVERROR(EIO);
    if (n == 0) return AVERROR_EOF;
    position_ += n;
    bytes_read_ += n;
    return static_cast<int>(n);
  }

  int64_t seek(int64_t offset, int whence) {
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE) return size_;
    int64_t base = 0;
    if (whence == SEEK_CUR)
      base = position_;
    else if (whence == SEEK_END)
      base = size_;
    else if (whence != SEEK_SET)
      return AVERROR(EINVAL);
    if (base + offset < 0) return AVERROR(EINVAL);
    position_ = base + offset;
    return position_;
  }

  // Up to n bytes from offset, leaving the read position alone: for checks of headers that FFmpeg
  // reads too leniently.
  int64_t peek(int64_t offset, uint8_t* buffer, int64_t n) {
    if (offset < 0 || offset >= size_) return 0;
    return read_at(offset, buffer, std::min(n, size_ - offset));
  }

  // errno of the first failed read, 0 when none failed.
  int read_errno() const { return read_errno_; }

 protected:
  explicit ByteSource(int64_t size) : size_(size) {}
  // Up to n bytes from offset; -1 on failure after setting read_errno_.
  virtual int64_t read_at(int64_t offset, uint8_t* buffer, int64_t n) = 0;
  int read_errno_ = 0;

 private:
  int64_t size_;
  int64_t position_ = 0;
  int64_t bytes_read_ = 0;
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::span<const uint8_t> bytes)
      : ByteSource(static_cast<int64_t>(bytes.size())), bytes_(bytes) {}

 private:
  int64_t read_at(int64_t offset, uint8_t* buffer, int64_t n) override {
    std::memcpy(buffer, bytes_.data() + offset, static_cast<size_t>(n));
    return n;
  }
  std::span<const uint8_t> bytes_;
};

class FileSource final : public ByteSource {
 public:
  // Opens and checks the file: missing, unreadable or not a regular file (a FIFO or device
  // could block or never end) is Io.
  static std::unique_ptr<FileSource> open(const std::string& path) {
    if (path.empty()) throw Error(ErrorCode::InvalidArgument, "audio file: the path is empty");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw Error(ErrorCode::Io, "audio file " + quoted(path) + ": cannot open: " + std::strerror(errno));
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
      const std::string why = S_ISDIR(info.st_mode) ? "is a directory" : "is not a regular file";
      ::close(fd);
      throw Error(ErrorCode::Io, "audio file " + quoted(path) + ": " + why);
    }
    return std::unique_ptr<FileSource>(new FileSource(fd, info.st_size));
  }
  ~FileSource() override { ::close(fd_); }

 private:
  FileSource(int fd, int64_t size) : ByteSource(size), fd_(fd) {}

  int64_t read_at(int64_t offset, uint8_t* buffer, int64_t n) override {
    int64_t done = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd_, buffer + done, static_cast<size_t>(n - done), offset + done);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        if (read_errno_ == 0) read_errno_ = errno;
        return -1;
      }
      if (got == 0) break;  // the file shrank since it was opened
      done += got;
    }
    return done;
  }
  int fd_;
};

int avio_read_callback(void* opaque, uint8_t* buffer, int capacity) {
  return static_cast<ByteSource*>(opaque)->read(buffer, capacity);
}

int64_t avio_seek_callback(void* opaque, int64_t offset, int whence) {
  return static_cast<ByteSource*>(opaque)->seek(offset, whence);
}

// Playlists, concat scripts and references inside containers ask for other inputs by name.
// Following them would read files or URLs the caller never handed in.
int refuse_nested_open(AVFormatContext* format, AVIOContext**, const char* url, int, AVDictionary**) {
  av_log(format, AV_LOG_ERROR, "refusing to open '%s', which the input refers to\n", url);
  return AVERROR(EPERM);
}

// ---- RAII for FFmpeg objects ------------------------------------------------------------------

struct AvioFree {
  void operator()(AVIOContext* avio) const {
    av_freep(&avio->buffer);  // AVIO may have replaced the buffer it was given
    avio_context_free(&avio);
  }
};
struct FormatClose {
  void operator()(AVFormatContext* format) const { avformat_close_input(&format); }
};
struct CodecFree {
  void operator()(AVCodecContext* codec) const { avcodec_free_context(&codec); }
};
struct PacketFree {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
struct FrameFree {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};

// An opened input with its audio stream chosen. Members are declared in the order they must be
// built, so they are destroyed in reverse: the format context before the AVIO it reads through.
class Input {
 public:
  Input(ByteSource& source, const std::string& name, const LogScope& log) : source_(source), name_(name), log_(log) {
    auto* buffer = static_cast<uint8_t*>(av_malloc(kAvioBufferSize));
    if (buffer == nullptr) throw Error(ErrorCode::OutOfMemory, where() + "cannot allocate an I/O buffer");
    avio_.reset(
        avio_alloc_context(buffer, kAvioBufferSize, 0, &source, avio_read_callback, nullptr, avio_seek_callback));
    if (!avio_) {
      av_free(buffer);
      throw Error(ErrorCode::OutOfMemory, where() + "cannot allocate an I/O context");
    }
    AVFormatContext* format = avformat_alloc_context();
    if (format == nullptr) throw Error(ErrorCode::OutOfMemory, where() + "cannot allocate a format context");
    format->pb = avio_.get();
    format->flags |= AVFMT_FLAG_CUSTOM_IO;
    format->io_open = refuse_nested_open;
    // Demuxers that open nested inputs through protocols (concat) inherit this list, which names no
    // protocol; our own AVIO needs none.
    AVDictionary* format_options = nullptr;
    av_dict_set(&format_options, "protocol_whitelist", "none", 0);
    // avformat_open_input frees the context itself when it fails.
    const int opened = avformat_open_input(&format, name.c_str(), nullptr, &format_options);
    av_dict_free(&format_options);
    if (opened == AVERROR_EOF) fail(opened, "ends unexpectedly (truncated?)");
    if (opened < 0) fail(opened, "cannot be opened as audio (unrecognised format or damaged header)");
    format_.reset(format);
    const int found = avformat_find_stream_info(format, nullptr);
    if (found < 0) fail(found, "cannot read the stream parameters");

    const int best = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, &decoder_, 0);
    if (best == AVERROR_STREAM_NOT_FOUND) {
      // av_find_best_stream passes over audio streams without channels; such a header is named.
      for (unsigned i = 0; i < format->nb_streams; ++i)
        if (format->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
          check_parameters(*format->streams[i]->codecpar);
      throw Error(ErrorCode::InvalidArgument, where() + "no audio stream" + stream_list());
    }
    if (best == AVERROR_DECODER_NOT_FOUND) {
      bool unknown = false;
      for (unsigned i = 0; i < format->nb_streams; ++i)
        unknown = unknown || (format->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO &&
                              format->streams[i]->codecpar->codec_id == AV_CODEC_ID_NONE);
      throw Error(ErrorCode::Unsupported, where() +
                                              (unknown ? "its header names a codec FFmpeg does not know"
                                                       : "this FFmpeg has no decoder for its audio") +
                                              stream_list());
    }
    if (best < 0 || decoder_ == nullptr) fail(best, "cannot select an audio stream");
    stream_ = format->streams[best];
    for (unsigned i = 0; i < format->nb_streams; ++i)
      if (static_cast<int>(i) != best) format->streams[i]->discard = AVDISCARD_ALL;
    check_parameters(*stream_->codecpar);
    if (std::strcmp(format->iformat->name, "wav") == 0) check_wav_data_size();
  }

  AVFormatContext* format() const { return format_.get(); }
  AVStream* stream() const { return stream_; }
  const AVCodec* decoder() const { return decoder_; }

  // How much shorter than declared_duration_s() a complete decode may come out.
  double truncation_slack_s(double declared_s) const {
    const AVCodecDescriptor* descriptor = avcodec_descriptor_get(stream_->codecpar->codec_id);
    if (descriptor != nullptr && (descriptor->props & AV_CODEC_PROP_LOSSLESS) != 0) return kLosslessTruncationSlackS;
    return kLossyTruncationSlackS + kLossyTruncationSlackFraction * declared_s;
  }

  // The length the container states, in seconds; 0 when it states none.
  double stated_duration_s() const {
    if (stream_->duration != AV_NOPTS_VALUE && stream_->duration > 0)
      return stream_->duration * av_q2d(stream_->time_base);
    if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0)
      return static_cast<double>(format_->duration) / AV_TIME_BASE;
    return 0.0;
  }

  // The stated length when it is exact enough to call a shorter decode truncated; 0 when it is
  // absent or only estimated from the bitrate.
  double declared_duration_s() const {
    return format_->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE ? 0.0 : stated_duration_s();
  }

  AudioInfo info() const {
    AudioInfo info;
    info.container = format_->iformat->name;
    info.codec = avcodec_get_name(stream_->codecpar->codec_id);
    info.sample_rate = stream_->codecpar->sample_rate;
    info.channels = stream_->codecpar->ch_layout.nb_channels;
    info.duration_s = stated_duration_s();
    return info;
  }

  std::string where() const { return "audio " + quoted(name_) + ": "; }

  void check_rate(int rate, const std::string& what) const {
    if (rate < 1 || rate > kMaxSampleRate)
      throw Error(ErrorCode::InvalidArgument, where() + what + " a sample rate of " + std::to_string(rate) +
                                                  " Hz; expected 1 to " + std::to_string(kMaxSampleRate) + " Hz");
  }

  void check_parameters(const AVCodecParameters& parameters) const {
    const int channels = parameters.ch_layout.nb_channels;
    if (channels < 1 || channels > kMaxChannels)
      throw Error(ErrorCode::InvalidArgument, where() + "the header declares " + std::to_string(channels) +
                                                  " channels; expected 1 to " + std::to_string(kMaxChannels));
    check_rate(parameters.sample_rate, "the header declares");
  }

  // FFmpeg's WAV demuxer clamps the data chunk to the bytes present, so a WAV cut short at a sample
  // boundary decodes without complaint; the RIFF header still says how much should be there.
  void check_wav_data_size() const {
    uint8_t head[12];
    if (source_.peek(0, head, 12) != 12 || std::memcmp(head, "RIFF", 4) != 0 || std::memcmp(head + 8, "WAVE", 4) != 0)
      return;  // RF64 and other variants state their sizes elsewhere
    int64_t offset = 12;
    for (int i = 0; i < kMaxRiffChunks; ++i) {
      uint8_t chunk[8];
      if (source_.peek(offset, chunk, 8) != 8) return;
      const uint32_t size = static_cast<uint32_t>(chunk[4]) | static_cast<uint32_t>(chunk[5]) << 8 |
                            static_cast<uint32_t>(chunk[6]) << 16 | static_cast<uint32_t>(chunk[7]) << 24;
      if (std::memcmp(chunk, "data", 4) == 0) {
        const int64_t present = source_.size() - (offset + 8);
        // 0xFFFFFFFF is what writers streaming to a pipe leave when the size is unknown.
        if (size != 0xFFFFFFFFu && size > present)
          throw Error(ErrorCode::InvalidArgument, where() + "truncated: its data chunk declares " +
                                                      std::to_string(size) + " bytes but only " +
                                                      std::to_string(present) + " follow");
        return;
      }
      offset += 8 + static_cast<int64_t>(size) + (size & 1);
    }
  }

  // An FFmpeg failure as an lre::Error: Io when reading the bytes failed, else bad content.
  [[noreturn]] void fail(int code, const std::string& what) const {
    if (source_.read_errno() != 0)
      throw Error(ErrorCode::Io, where() + "read failed: " + std::strerror(source_.read_errno()));
    if (code == AVERROR(ENOMEM)) throw Error(ErrorCode::OutOfMemory, where() + what + ": out of memory");
    throw Error(ErrorCode::InvalidArgument, where() + what + ": " + av_error_text(code) + log_.suffix());
  }

 private:
  // " (streams: video png)" for a message about a file with no audio stream.
  std::string stream_list() const {
    if (format_->nb_streams == 0) return " (the input holds no streams)";
    std::string text = " (streams:";
    for (unsigned i = 0; i < format_->nb_streams; ++i) {
      const AVCodecParameters* parameters = format_->streams[i]->codecpar;
      const char* type = av_get_media_type_string(parameters->codec_type);
      text += std::string(i ? ", " : " ") + (type ? type : "unknown") + " " + avcodec_get_name(parameters->codec_id);
    }
    return text + ")";
  }

  ByteSource& source_;
  std::string name_;
  const LogScope& log_;
  std::unique_ptr<AVIOContext, AvioFree> avio_;
  std::unique_ptr<AVFormatContext, FormatClose> format_;
  AVStream* stream_ = nullptr;
  const AVCodec* decoder_ = nullptr;
};

// ---- Samples ----------------------------------------------------------------------------------

template <typename T>
float sample_to_float(T value) {
  if constexpr (std::is_same_v<T, uint8_t>)
    return (static_cast<float>(value) - 128.0f) * (1.0f / 128.0f);
  else if constexpr (std::is_same_v<T, int16_t>)
    return static_cast<float>(value) * (1.0f / 32768.0f);
  else if constexpr (std::is_same_v<T, int32_t>)
    return static_cast<float>(static_cast<double>(value) * (1.0 / 2147483648.0));
  else if constexpr (std::is_same_v<T, int64_t>)
    return static_cast<float>(static_cast<double>(value) * (1.0 / 9223372036854775808.0));
  else
    return static_cast<float>(value);
}

// Appends the frame's samples averaged over its channels. Returns false if any is NaN or infinite.
template <typename T>
bool average_channels(const AVFrame& frame, bool planar, std::vector<float>& mono) {
  const int channels = frame.ch_layout.nb_channels;
  const size_t n = static_cast<size_t>(frame.nb_samples);
  const size_t begin = mono.size();
  mono.resize(begin + n);
  float* out = mono.data() + begin;
  const double scale = 1.0 / channels;
  bool finite = true;
  for (size_t i = 0; i < n; ++i) {
    double sum = 0.0;
    for (int c = 0; c < channels; ++c) {
      const T value = planar ? reinterpret_cast<const T*>(frame.extended_data[c])[i]
                             : reinterpret_cast<const T*>(frame.extended_data[0])[i * channels + c];
      sum += sample_to_float(value);
    }
    out[i] = static_cast<float>(sum * scale);
    finite = finite && std::isfinite(out[i]);
  }
  return finite;
}

// ---- Decoding ---------------------------------------------------------------------------------

class Decoder {
 public:
  Decoder(const Input& input, const DecodeOptions& options) : input_(input), options_(options) {
    codec_.reset(avcodec_alloc_context3(input.decoder()));
    packet_.reset(av_packet_alloc());
    frame_.reset(av_frame_alloc());
    if (!codec_ || !packet_ || !frame_)
      throw Error(ErrorCode::OutOfMemory, input.where() + "cannot allocate a decoder");
    const int copied = avcodec_parameters_to_context(codec_.get(), input.stream()->codecpar);
    if (copied < 0) input.fail(copied, "cannot configure the decoder");
    codec_->pkt_timebase = input.stream()->time_base;
    // One thread: the log capture is per thread, and callers decode many files in parallel.
    codec_->thread_count = 1;
    // Checksums are verified and minor damage is an error, not concealed: see the policy in
    // audio_file.h.
    codec_->err_recognition = AV_EF_CRCCHECK | AV_EF_EXPLODE;
    const int opened = avcodec_open2(codec_.get(), input.decoder(), nullptr);
    if (opened < 0) input.fail(opened, std::string("cannot open the ") + input.decoder()->name + " decoder");
  }

  std::vector<float> run() {
    const double declared_s = input_.declared_duration_s();
    if (declared_s > options_.max_duration_s) refuse_length(declared_s, "its header declares");
    for (;;) {
      const int read = av_read_frame(input_.format(), packet_.get());
      if (read == AVERROR_EOF) break;
      if (read < 0) input_.fail(read, "reading failed at " + position());
      if (packet_->stream_index == input_.stream()->index) {
        const int sent = avcodec_send_packet(codec_.get(), packet_.get());
        av_packet_unref(packet_.get());
        if (sent < 0) input_.fail(sent, "decoding failed at " + position());
        receive_frames();
      } else {
        av_packet_unref(packet_.get());
      }
    }
    const int flushed = avcodec_send_packet(codec_.get(), nullptr);
    if (flushed < 0 && flushed != AVERROR_EOF) input_.fail(flushed, "decoding failed at " + position());
    receive_frames();
    if (resampler_) resampler_->finish(output_);

    // After a change of rate (chained Ogg) the stated length counts samples of mixed rates.
    if (declared_s > 0.0 && !rate_changed_ && decoded_s_ < declared_s - input_.truncation_slack_s(declared_s))
      throw Error(ErrorCode::InvalidArgument, input_.where() + "truncated or damaged: decoded " + seconds(decoded_s_) +
                                                  " of the " + seconds(declared_s) + " its header declares");
    if (decoded_s_ == 0.0) throw Error(ErrorCode::InvalidArgument, input_.where() + "no audio samples decoded");
    for (float& sample : output_) sample = std::clamp(sample, -1.0f, 1.0f);
    return std::move(output_);
  }

 private:
  void receive_frames() {
    for (;;) {
      const int received = avcodec_receive_frame(codec_.get(), frame_.get());
      if (received == AVERROR(EAGAIN) || received == AVERROR_EOF) return;
      if (received < 0) input_.fail(received, "decoding failed at " + position());
      take_frame();
      av_frame_unref(frame_.get());
    }
  }

  void take_frame() {
    const AVFrame& frame = *frame_;
    if ((frame.flags & AV_FRAME_FLAG_CORRUPT) != 0 || frame.decode_error_flags != 0)
      throw Error(ErrorCode::InvalidArgument, input_.where() + "damaged audio at " + position());
    const int channels = frame.ch_layout.nb_channels;
    if (channels < 1 || channels > kMaxChannels)
      throw Error(ErrorCode::InvalidArgument, input_.where() + "a frame at " + position() + " has " +
                                                  std::to_string(channels) + " channels; expected 1 to " +
                                                  std::to_string(kMaxChannels));
    input_.check_rate(frame.sample_rate, "a frame at " + position() + " has");
    if (frame.nb_samples <= 0) return;

    decoded_s_ += static_cast<double>(frame.nb_samples) / frame.sample_rate;
    if (decoded_s_ > options_.max_duration_s) refuse_length(decoded_s_, "it decodes to more than");

    mono_.clear();
    if (!average_frame(frame))
      throw Error(ErrorCode::InvalidArgument, input_.where() + "NaN or infinite samples at " + position());
    // Chained Ogg streams and some broadcast captures change rate midway: the filter for the old
    // rate is flushed and a new one continues.
    if (resampler_ && resampler_->from_rate() != frame.sample_rate) {
      resampler_->finish(output_);
      resampler_.reset();
      rate_changed_ = true;
    }
    if (!resampler_) resampler_ = std::make_unique<Resampler>(frame.sample_rate, options_.sample_rate);
    resampler_->push(mono_, output_);
  }

  bool average_frame(const AVFrame& frame) {
    const auto format = static_cast<AVSampleFormat>(frame.format);
    const bool planar = av_sample_fmt_is_planar(format) != 0;
    switch (av_get_packed_sample_fmt(format)) {
      case AV_SAMPLE_FMT_U8:
        return average_channels<uint8_t>(frame, planar, mono_);
      case AV_SAMPLE_FMT_S16:
        return average_channels<int16_t>(frame, planar, mono_);
      case AV_SAMPLE_FMT_S32:
        return average_channels<int32_t>(frame, planar, mono_);
      case AV_SAMPLE_FMT_S64:
        return average_channels<int64_t>(frame, planar, mono_);
      case AV_SAMPLE_FMT_FLT:
        return average_channels<float>(frame, planar, mono_);
      case AV_SAMPLE_FMT_DBL:
        return average_channels<double>(frame, planar, mono_);
      default: {
        const char* name = av_get_sample_fmt_name(format);
        throw Error(ErrorCode::Unsupported, input_.where() + "the decoder produced sample format " +
                                                (name ? name : std::to_string(frame.format)));
      }
    }
  }

  [[noreturn]] void refuse_length(double length_s, const std::string& what) const {
    throw Error(ErrorCode::InvalidArgument, input_.where() + what + " " + seconds(length_s) +
                                                " of audio; the limit is " + seconds(options_.max_duration_s) +
                                                " (DecodeOptions::max_duration_s)");
  }

  std::string position() const { return seconds(decoded_s_); }

  static std::string seconds(double s) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.3f s", s);
    return text;
  }

  const Input& input_;
  const DecodeOptions& options_;
  std::unique_ptr<AVCodecContext, CodecFree> codec_;
  std::unique_ptr<AVPacket, PacketFree> packet_;
  std::unique_ptr<AVFrame, FrameFree> frame_;
  std::unique_ptr<Resampler> resampler_;  // made for the first frame's rate
  std::vector<float> mono_;               // (samples) of the current frame
  std::vector<float> output_;             // (samples) mono at options_.sample_rate
  double decoded_s_ = 0.0;                // at the source rate, before resampling
  bool rate_changed_ = false;
};

void check_options(const DecodeOptions& options, const std::string& name) {
  if (options.sample_rate < 1 || options.sample_rate > kMaxSampleRate)
    throw Error(ErrorCode::InvalidArgument, "audio " + quoted(name) + ": output sample rate " +
                                                std::to_string(options.sample_rate) + " Hz is outside [1, " +
                                                std::to_string(kMaxSampleRate) + "] Hz");
  if (!(options.max_duration_s > 0.0))
    throw Error(ErrorCode::InvalidArgument, "audio " + quoted(name) + ": max_duration_s must be positive");
}

DecodedAudio decode(ByteSource& source, const std::string& name, const DecodeOptions& options) {
  check_options(options, name);
  if (source.size() == 0) throw Error(ErrorCode::InvalidArgument, "audio " + quoted(name) + ": the input is empty");
  LogScope log;
  Input input(source, name, log);
  DecodedAudio audio;
  audio.source = input.info();
  audio.samples = Decoder(input, options).run();
  audio.sample_rate = options.sample_rate;
  return audio;
}

AudioInfo probe(ByteSource& source, const std::string& name) {
  if (source.size() == 0) throw Error(ErrorCode::InvalidArgument, "audio " + quoted(name) + ": the input is empty");
  LogScope log;
  return Input(source, name, log).info();
}

}  // namespace

bool can_decode_audio_files() { return true; }

DecodedAudio decode_audio(const std::string& path, const DecodeOptions& options) {
  auto source = FileSource::open(path);
  return decode(*source, path, options);
}

DecodedAudio decode_audio_from_memory(std::span<const uint8_t> bytes, const DecodeOptions& options,
                                      const std::string& name) {
  MemorySource source(bytes);
  return decode(source, name, options);
}

std::vector<float> load_audio(const std::string& path, int sample_rate) {
  return decode_audio(path, {.sample_rate = sample_rate}).samples;
}

std::vector<float> load_audio_from_memory(std::span<const uint8_t> bytes, int sample_rate, const std::string& name) {
  return decode_audio_from_memory(bytes, {.sample_rate = sample_rate}, name).samples;
}

AudioInfo probe_audio(const std::string& path) {
  auto source = FileSource::open(path);
  return probe(*source, path);
}

AudioInfo probe_audio_from_memory(std::span<const uint8_t> bytes, const std::string& name) {
  MemorySource source(bytes);
  return probe(source, name);
}

}  // namespace lre::audio
