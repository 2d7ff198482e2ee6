// `lre conformance DIR`: runs ONNX backend test directories (model.onnx + test_data_set_*/
// input_*.pb, output_*.pb). Each case runs in its own forked process so that a crash or a hang in
// one case is reported as that case's failure and never stops the runner; cases run in parallel.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <thread>

#include "commands.h"
#include "core/dispatch.h"
#include "onnx/tensor_proto.h"

namespace lre::cli {

namespace fs = std::filesystem;

namespace {

enum class Status { Pass, Fail, Skip };
struct Outcome {
  Status status = Status::Fail;
  std::string reason;
};

// Matches the ONNX backend test criterion: |got - want| <= atol + rtol * |want|, NaN equals NaN.
std::string compare(const Tensor& got, const Tensor& want) {
  if (got.dtype() != want.dtype())
    return std::string("dtype ") + dtype_name(got.dtype()) + ", expected " + dtype_name(want.dtype());
  if (got.shape() != want.shape()) return "shape " + shape_to_string(got.shape()) + ", expected " + shape_to_string(want.shape());
  constexpr double rtol = 1e-3, atol = 1e-7;
  return dispatch_dtype(got.dtype(), [&]<typename T>() -> std::string {
    const T* g = got.data<T>();
    const T* w = want.data<T>();
    int64_t bad = 0, first = -1;
    double max_err = 0;
    for (int64_t i = 0; i < got.numel(); ++i) {
      double a = static_cast<double>(static_cast<compute_t<T>>(g[i]));
      double b = static_cast<double>(static_cast<compute_t<T>>(w[i]));
      bool ok = (std::isnan(a) && std::isnan(b)) || a == b || std::fabs(a - b) <= atol + rtol * std::fabs(b);
      if (!ok) {
        if (first < 0) first = i;
        ++bad;
        if (std::isfinite(a) && std::isfinite(b)) max_err = std::max(max_err, std::fabs(a - b));
      }
    }
    if (!bad) return "";
    char buf[256];
    std::snprintf(buf, sizeof buf, "%lld of %lld values differ; first at flat index %lld: got %.9g, expected %.9g; max abs error %.3g",
                  static_cast<long long>(bad), static_cast<long long>(got.numel()), static_cast<long long>(first),
                  static_cast<double>(static_cast<compute_t<T>>(g[first])), static_cast<double>(static_cast<compute_t<T>>(w[first])), max_err);
    return buf;
  });
}

// ONNX 1.12's test data stores bfloat16 tensors with the uint16 element type (same bits).
Tensor with_bfloat16_quirk(const Tensor& t, DType wanted) {
  if (t.dtype() == DType::UInt16 && wanted == DType::BFloat16)
    return Tensor::from_storage(nullptr, const_cast<void*>(t.raw()), DType::BFloat16, t.shape());
  return t;
}

std::vector<fs::path> sorted_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path());
  // input_10.pb sorts after input_9.pb: order by the number, not the text.
  std::sort(out.begin(), out.end(), [&](const fs::path& a, const fs::path& b) {
    auto num = [&](const fs::path& p) { return std::atoi(p.stem().string().substr(prefix.size()).c_str()); };
    return num(a) < num(b);
  });
  return out;
}

Outcome run_case(const fs::path& dir, const EngineOptions& options) {
  std::shared_ptr<const Engine> engine;
  try {
    engine = Engine::load((dir / "model.onnx").string(), options);
  } catch (const Error& e) {
    return {e.code() == ErrorCode::Unsupported ? Status::Skip : Status::Fail, e.what()};
  }
  ExecutionContext ctx(engine, {.threads = 1});
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return {Status::Skip, "no test_data_set_* directory"};
  for (const fs::path& set : sets) {
    NamedTensors inputs;
    std::vector<fs::path> in_files = sorted_files(set, "input_");
    if (in_files.size() != engine->inputs().size())
      return {Status::Fail, set.filename().string() + " has " + std::to_string(in_files.size()) + " inputs, the model takes " +
                                std::to_string(engine->inputs().size())};
    std::vector<Tensor> files;  // keeps the data the quirk-adjusted views point into
    for (size_t k = 0; k < in_files.size(); ++k) {
      files.push_back(read_tensor_proto_file(in_files[k].string()));
      inputs.emplace_back(engine->inputs()[k].name, with_bfloat16_quirk(files.back(), engine->inputs()[k].dtype));
    }
    std::vector<fs::path> out_files = sorted_files(set, "output_");
    std::vector<Tensor> outputs = ctx.run(inputs);
    if (out_files.size() != outputs.size())
      return {Status::Fail, set.filename().string() + " expects " + std::to_string(out_files.size()) + " outputs, the model gives " +
                                std::to_string(outputs.size())};
    for (size_t k = 0; k < outputs.size(); ++k) {
      Tensor want = read_tensor_proto_file(out_files[k].string());
      std::string diff = compare(outputs[k], with_bfloat16_quirk(want, outputs[k].dtype()));
      if (!diff.empty()) return {Status::Fail, set.filename().string() + " output '" + engine->outputs()[k].name + "': " + diff};
    }
  }
  return {Status::Pass, ""};
}

struct Running {
  pid_t pid;
  size_t index;
  int fd;
  std::string text;
  std::chrono::steady_clock::time_point start;
  bool timed_out = false;
};

void child_main(const fs::path& dir, const EngineOptions& options, int fd) {
  Outcome o;
  try {
    o = run_case(dir, options);
  } catch (const Error& e) {
    o = {e.code() == ErrorCode::Unsupported ? Status::Skip : Status::Fail, e.what()};
  } catch (const std::exception& e) {
    o = {Status::Fail, std::string("exception: ") + e.what()};
  }
  std::string msg(1, o.status == Status::Pass ? 'P' : o.status == Status::Skip ? 'S' : 'F');
  msg.append(o.reason, 0, 4000);
  const char* p = msg.data();
  size_t left = msg.size();
  while (left) {
    ssize_t w = write(fd, p, left);
    if (w <= 0) break;
    p += w;
    left -= static_cast<size_t>(w);
  }
  close(fd);
  _exit(0);
}

}  // namespace

int cmd_conformance(const ConformanceArgs& args) {
  // Parsed here, in the parent: each case runs in a forked child, and the parent never touches
  // the GPU (a process that has must not fork).
  const EngineOptions options = engine_options(args.target);
  if (!fs::is_directory(args.dir)) throw Error(ErrorCode::Io, args.dir + ": not a directory");
  std::vector<fs::path> cases;
  std::regex filter(args.filter.empty() ? ".*" : args.filter);
  for (const auto& e : fs::recursive_directory_iterator(args.dir))
    if (e.is_regular_file() && e.path().filename() == "model.onnx" &&
        std::regex_search(e.path().parent_path().string(), filter))
      cases.push_back(e.path().parent_path());
  std::sort(cases.begin(), cases.end());

  int jobs = args.jobs > 0 ? args.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<Outcome> results(cases.size());
  std::vector<Running> running;
  size_t next = 0;
  std::fflush(stdout);
  std::fflush(stderr);
  while (next < cases.size() || !running.empty()) {
    while (next < cases.size() && static_cast<int>(running.size()) < jobs) {
      int fds[2];
      if (pipe(fds) != 0) throw Error(ErrorCode::Internal, "conformance: pipe() failed");
      pid_t pid = fork();
      if (pid < 0) throw Error(ErrorCode::Internal, "conformance: fork() failed");
      if (pid == 0) {
        close(fds[0]);
        child_main(cases[next], options, fds[1]);
      }
      close(fds[1]);
      running.push_back({pid, next, fds[0], "", std::chrono::steady_clock::now()});
      ++next;
    }
    // Drain the children's pipes (so none blocks on a full pipe), then reap those that ended.
    std::vector<pollfd> pfds;
    for (const Running& r : running) pfds.push_back({r.fd, POLLIN, 0});
    poll(pfds.data(), pfds.size(), 20);
    for (size_t i = 0; i < running.size(); ++i) {
      if (!(pfds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = read(running[i].fd, buf, sizeof buf);
      if (n > 0) running[i].text.append(buf, static_cast<size_t>(n));
    }
    for (size_t i = 0; i < running.size();) {
      Running& r = running[i];
      if (!r.timed_out && std::chrono::steady_clock::now() - r.start > std::chrono::seconds(args.timeout_s)) {
        kill(r.pid, SIGKILL);
        r.timed_out = true;
      }
      int status = 0;
      if (waitpid(r.pid, &status, WNOHANG) != r.pid) {
        ++i;
        continue;
      }
      char buf[4096];
      ssize_t n;
      while ((n = read(r.fd, buf, sizeof buf)) > 0) r.text.append(buf, static_cast<size_t>(n));
      close(r.fd);
      Outcome& o = results[r.index];
      if (r.timed_out) {
        o = {Status::Fail, "timed out after " + std::to_string(args.timeout_s) + " s"};
      } else if (WIFSIGNALED(status)) {
        o = {Status::Fail, std::string("crashed: ") + strsignal(WTERMSIG(status))};
      } else if (r.text.empty()) {
        o = {Status::Fail, "the case's process exited with status " + std::to_string(WEXITSTATUS(status)) + " and no result"};
      } else {
        o = {r.text[0] == 'P' ? Status::Pass : r.text[0] == 'S' ? Status::Skip : Status::Fail, r.text.substr(1)};
      }
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  int passed = 0, failed = 0, skipped = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string name = fs::relative(cases[i], args.dir).string();
    const Outcome& o = results[i];
    if (o.status == Status::Pass) {
      ++passed;
      if (args.verbose) std::printf("PASS %s\n", name.c_str());
    } else if (o.status == Status::Skip) {
      ++skipped;
      std::printf("SKIP %s: %s\n", name.c_str(), o.reason.c_str());
    } else {
      ++failed;
      std::printf("FAIL %s: %s\n", name.c_str(), o.reason.c_str());
    }
  }
  std::printf("conformance: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
  if (args.min_pass > 0 && passed < args.min_pass) {
    std::fprintf(stderr, "conformance: %d passed, fewer than the required %d\n", passed, args.min_pass);
    return 1;
  }
  return 0;
}

}  // namespace lre::cli
