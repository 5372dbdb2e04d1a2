// Lengua's libtorch binding: tensors as BigInt handles into a slot table holding at::Tensors, one free function per op.
// Kept to a single translation unit on purpose: libtorch's headers dominate compile time.
//
// Conventions (the TypeScript side in src/torch/ relies on them):
// - A tensor handle is a BigInt naming a slot of the handle table (see "Handles" below); a number or boolean operand
//   is a scalar. dispose() frees the at::Tensor at once; the JavaScript side's FinalizationRegistry is only the
//   safety net. Native bytes are reported to V8 on create and free.
// - dtypes cross the boundary as c10::ScalarType codes, devices as strings ("cpu", "cuda:0").
// - A number operand becomes an integer Scalar when it is an integer, else a double (PyTorch's type promotion then
//   gives int * 2 -> int, int * 0.5 -> float, float * 2 -> float).
// - Every libtorch exception becomes a JavaScript Error carrying libtorch's message (without its C++ backtrace).

#include <napi.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/Reduction.h>
#include <c10/core/GradMode.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <sys/mman.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace {

// Handles. A tensor handle is a JavaScript BigInt packing (generation << 32 | slot index); the slot, in a table of
// its own, holds the at::Tensor. Why not an N-API External holding a `new`-ed holder: every External costs small
// mallocs that outlive the tensor until V8 collects the wrapper (Node 20's napi_create_external allocates a 40-byte
// tracking record even without a finaliser, a finaliser adds its own record, and a holder is a third). Left between the
// large freed activation blocks in glibc's heap they split them, the next activation no longer fits and the heap
// grows: 2 MB per `tidy(() => x.add(1).add(1))` on a [16,128,256] tensor, peak RSS 1.9x PyTorch's on a small BERT
// step. A BigInt lives on V8's heap, the slot table in its own mmap'd chunks, and a slot is reused as soon as its
// tensor is disposed: nothing per tensor stays on the malloc heap after dispose(). The generation makes a stale handle
// (its slot disposed, maybe reused) fail with "Tensor has been disposed" instead of reaching another tensor.
// The safety net for tensors never disposed is a FinalizationRegistry on the JavaScript side (src/torch/tensor.ts).
struct Slot {
  at::Tensor t;
  int64_t bytes = 0;
  uint32_t gen = 1;       // bumped on every release (never 0); handles carry the one they were made with
  uint32_t nextFree = 0;  // free-list link (index + 1; 0 ends the list)
};

constexpr uint32_t kChunkBits = 14;  // 16,384 slots (384 KiB) per chunk
constexpr uint32_t kChunkSlots = 1u << kChunkBits;
constexpr uint32_t kMaxChunks = 1u << 16;  // up to 2^30 live tensors

// One table per process, shared by every worker thread that loads the addon, so g_slotsMutex guards all of it: taking
// and returning slots, and reading them too (FindLocked, so TensorOf and Release, and LiveTensors). Reads need it:
// another thread's NewSlot may be adding a chunk (g_chunkCount, g_chunks) while this one looks a handle up, and the
// slot a stale handle names may have been reused and be being released by its new owner at that moment (dispose is
// idempotent and the FinalizationRegistry calls it on handles already disposed, so stale lookups are routine, not
// misuse). Unlocked, both are data races. TensorOf copies the at::Tensor out under the lock (a refcount increment)
// rather than returning a reference into the slot, so a dispose() of the same handle on another thread cannot free the
// tensor while an op uses it. Cost, uncontended in the usual single-threaded use: ~20 ns per operand (lock plus
// refcount), measured as requiresGrad(x) going from 32 to 53 ns a call; add+dispose stayed ~0.9 us, within noise.
std::mutex g_slotsMutex;
Slot* g_chunks[kMaxChunks];
uint32_t g_chunkCount = 0;
uint32_t g_freeHead = 0;  // index + 1 of the first free slot; 0 when none
int64_t g_live = 0;       // handles whose tensor is not yet freed (liveTensors)

Slot& SlotAt(uint32_t idx) { return g_chunks[idx >> kChunkBits][idx & (kChunkSlots - 1)]; }

bool IsHandle(const Napi::Value& v) { return v.IsBigInt(); }

// Takes a free slot, adding a chunk when none is left. Called with g_slotsMutex held.
uint32_t NewSlot(Napi::Env env) {
  if (g_freeHead == 0) {
    if (g_chunkCount == kMaxChunks) throw Napi::Error::New(env, "too many live tensors (2^30)");
    // mmap, not malloc: the table must not sit in the heap between tensor data either.
    void* mem = mmap(nullptr, sizeof(Slot) * kChunkSlots, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) throw Napi::Error::New(env, "out of memory for tensor handles");
    Slot* chunk = static_cast<Slot*>(mem);
    const uint32_t base = g_chunkCount << kChunkBits;
    for (uint32_t k = 0; k < kChunkSlots; k++) {
      new (&chunk[k]) Slot();
      chunk[k].nextFree = k + 1 < kChunkSlots ? base + k + 2 : 0;
    }
    g_chunks[g_chunkCount++] = chunk;
    g_freeHead = base + 1;
  }
  const uint32_t idx = g_freeHead - 1;
  g_freeHead = SlotAt(idx).nextFree;
  return idx;
}

// Views (reshape, transpose, select, split…) share their base's storage: counting them again would overstate the
// pressure V8 sees and trigger needless collections.
int64_t TensorBytes(const at::Tensor& t) {
  if (!t.defined() || t.is_view()) return 0;
  return static_cast<int64_t>(t.numel()) * static_cast<int64_t>(t.element_size());
}

// The index of the live slot a handle names, or -1 when the handle's tensor was disposed. Called with g_slotsMutex
// held; the index is only good while it stays held.
int64_t FindLocked(const Napi::Value& v) {
  bool lossless = false;
  const uint64_t raw = v.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) return -1;
  const uint32_t idx = static_cast<uint32_t>(raw & 0xffffffffu), gen = static_cast<uint32_t>(raw >> 32);
  if ((idx >> kChunkBits) >= g_chunkCount) return -1;
  const Slot& s = SlotAt(idx);
  return s.gen == gen ? static_cast<int64_t>(idx) : -1;
}

// Frees the tensor a handle names; false when it was already disposed. Looking up and releasing under one lock: with
// two, another thread could release (and a third reuse) the slot in between.
bool Release(Napi::Env env, const Napi::Value& handle) {
  at::Tensor dead;  // drops this handle's reference after the lock: the storage goes when no view or graph node holds it
  int64_t bytes = 0;
  {
    std::lock_guard<std::mutex> lock(g_slotsMutex);
    const int64_t found = FindLocked(handle);
    if (found < 0) return false;
    const uint32_t idx = static_cast<uint32_t>(found);
    Slot& s = SlotAt(idx);
    dead = std::move(s.t);
    s.t = at::Tensor();
    if (++s.gen == 0) s.gen = 1;
    bytes = s.bytes;
    s.bytes = 0;
    s.nextFree = g_freeHead;
    g_freeHead = idx + 1;
    g_live--;
  }
  if (bytes != 0) Napi::MemoryManagement::AdjustExternalMemory(env, -bytes);
  return true;
}

Napi::Value Wrap(Napi::Env env, at::Tensor t) {
  const int64_t bytes = TensorBytes(t);
  uint64_t handle = 0;
  {
    std::lock_guard<std::mutex> lock(g_slotsMutex);
    const uint32_t idx = NewSlot(env);
    Slot& s = SlotAt(idx);
    s.t = std::move(t);
    s.bytes = bytes;
    g_live++;
    handle = (static_cast<uint64_t>(s.gen) << 32) | idx;
  }
  if (bytes != 0) Napi::MemoryManagement::AdjustExternalMemory(env, bytes);
  return Napi::BigInt::New(env, handle);
}

[[noreturn]] void Fail(Napi::Env env, const std::string& msg) { throw Napi::Error::New(env, msg); }

// The tensor a handle names (a new reference to it, taken under the lock); throws if it is not a handle or its tensor
// was disposed. In-place ops and set_data act on the shared TensorImpl, so they reach the slot's tensor through it.
at::Tensor TensorOf(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!IsHandle(v)) Fail(env, std::string(what) + " must be a Tensor");
  {
    std::lock_guard<std::mutex> lock(g_slotsMutex);
    const int64_t idx = FindLocked(v);
    if (idx >= 0) return SlotAt(static_cast<uint32_t>(idx)).t;
  }
  Fail(env, "Tensor has been disposed");
}

at::Tensor T(const Napi::CallbackInfo& info, size_t i) { return TensorOf(info.Env(), info[i], "argument"); }

bool IsNil(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }

c10::optional<at::Tensor> OptT(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || IsNil(info[i])) return c10::nullopt;
  return T(info, i);
}

double Num(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) Fail(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

int64_t Int(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) Fail(info.Env(), "argument " + std::to_string(i) + " must be an integer");
  return info[i].As<Napi::Number>().Int64Value();
}

bool Bool(const Napi::CallbackInfo& info, size_t i) { return info.Length() > i && info[i].ToBoolean().Value(); }

at::Scalar ScalarOf(Napi::Env env, const Napi::Value& v) {
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  if (!v.IsNumber()) Fail(env, "expected a number or a Tensor");
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9007199254740992.0) return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}

std::vector<int64_t> Ints(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  if (!info[i].IsArray()) Fail(env, "argument " + std::to_string(i) + " must be an array of integers");
  auto a = info[i].As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    Napi::Value e = a.Get(k);
    if (!e.IsNumber()) Fail(env, "argument " + std::to_string(i) + " must be an array of integers");
    out[k] = e.As<Napi::Number>().Int64Value();
  }
  return out;
}

std::vector<at::Tensor> TList(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  if (!info[i].IsArray()) Fail(env, "expected an array of Tensors");
  auto a = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    out.push_back(TensorOf(env, a.Get(k), "array element"));
  }
  return out;
}

at::ScalarType DType(const Napi::CallbackInfo& info, size_t i) {
  return static_cast<at::ScalarType>(Int(info, i));
}

at::Device DeviceOf(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || IsNil(info[i])) return at::Device(at::kCPU);
  return at::Device(info[i].As<Napi::String>().Utf8Value());
}

at::TensorOptions Opts(const Napi::CallbackInfo& info, size_t dtypeArg, size_t deviceArg) {
  return at::TensorOptions().dtype(DType(info, dtypeArg)).device(DeviceOf(info, deviceArg));
}

int64_t ReductionOf(const Napi::CallbackInfo& info, size_t i) {
  std::string r = info.Length() > i && info[i].IsString() ? info[i].As<Napi::String>().Utf8Value() : "mean";
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  Fail(info.Env(), "reduction must be 'mean', 'sum' or 'none', got '" + r + "'");
}

std::string DeviceString(const at::Tensor& t) {
  const at::Device d = t.device();
  if (d.is_cpu()) return "cpu";
  return d.str();
}

// Runs an op body and turns C++ exceptions into JavaScript errors: a libtorch error must never abort the process.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guard(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  } catch (...) {
    throw Napi::Error::New(info.Env(), "unknown native error in libtorch");
  }
}

#define FN(NAME) Napi::Value NAME(const Napi::CallbackInfo& info)
#define RET(EXPR) return Wrap(info.Env(), (EXPR))
#define UNARY(NAME, EXPR) \
  FN(NAME) {              \
    const at::Tensor& a = T(info, 0); \
    RET(EXPR);            \
  }
// other may be a tensor or a number
#define BINARY(NAME, FNAME)                                                  \
  FN(NAME) {                                                                 \
    const at::Tensor& a = T(info, 0);                                        \
    if (IsHandle(info[1])) RET(FNAME(a, T(info, 1)));                     \
    RET(FNAME(a, ScalarOf(info.Env(), info[1])));                            \
  }

// ---------------------------------------------------------------- handles and metadata

// Idempotent: a handle whose tensor is already gone (disposed, its slot maybe reused) is left alone.
FN(Dispose) {
  if (!IsHandle(info[0])) Fail(info.Env(), "argument must be a Tensor");
  Release(info.Env(), info[0]);
  return info.Env().Undefined();
}

// [scalarTypeCode, deviceString, ...shape]
FN(Meta) {
  const at::Tensor& a = T(info, 0);
  Napi::Env env = info.Env();
  auto arr = Napi::Array::New(env, a.dim() + 2);
  arr.Set(0u, Napi::Number::New(env, static_cast<int>(a.scalar_type())));
  arr.Set(1u, Napi::String::New(env, DeviceString(a)));
  for (int64_t k = 0; k < a.dim(); k++) arr.Set(static_cast<uint32_t>(k + 2), Napi::Number::New(env, static_cast<double>(a.size(k))));
  return arr;
}

FN(LiveTensors) {
  int64_t live = 0;
  {
    std::lock_guard<std::mutex> lock(g_slotsMutex);
    live = g_live;
  }
  return Napi::Number::New(info.Env(), static_cast<double>(live));
}

// ---------------------------------------------------------------- creation and data

// fromBuffer(typedArrayOrUint8, srcScalarType, shape, dstScalarType, device)
FN(FromBuffer) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) Fail(env, "expected a TypedArray");
  auto ta = info[0].As<Napi::TypedArray>();
  auto src = DType(info, 1);
  auto shape = Ints(info, 2);
  auto dst = DType(info, 3);
  int64_t numel = 1;
  for (auto s : shape) {
    if (s < 0) Fail(env, "shape entries must be >= 0");
    numel *= s;
  }
  const size_t need = static_cast<size_t>(numel) * c10::elementSize(src);
  if (ta.ByteLength() != need) {
    Fail(env, "data has " + std::to_string(ta.ByteLength()) + " bytes but shape [" + c10::Join(", ", shape) + "] of " +
                  std::string(c10::toString(src)) + " needs " + std::to_string(need));
  }
  uint8_t* ptr = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(src));
  if (need != 0) std::memcpy(t.data_ptr(), ptr, need);  // an empty tensor's data_ptr may be null: memcpy must not see it
  at::Device dev = DeviceOf(info, 4);
  if (dst != src || dev != t.device()) t = t.to(dev, dst);
  RET(t);
}

// A contiguous CPU copy of the tensor's bytes as an ArrayBuffer.
FN(ToBytes) {
  at::Tensor a = T(info, 0).detach();
  if (!a.device().is_cpu()) a = a.to(at::kCPU);
  a = a.contiguous();
  const size_t n = static_cast<size_t>(a.numel()) * a.element_size();
  auto buf = Napi::ArrayBuffer::New(info.Env(), n);
  if (n > 0) std::memcpy(buf.Data(), a.data_ptr(), n);
  return buf;
}

FN(Item) {
  const at::Tensor& a = T(info, 0);
  if (a.numel() != 1) Fail(info.Env(), "item() needs a tensor with one element, got " + std::to_string(a.numel()));
  at::Scalar s = a.item();
  if (s.isBoolean()) return Napi::Number::New(info.Env(), s.toBool() ? 1 : 0);
  return Napi::Number::New(info.Env(), s.toDouble());
}

FN(Zeros) { RET(at::zeros(Ints(info, 0), Opts(info, 1, 2))); }
FN(Ones) { RET(at::ones(Ints(info, 0), Opts(info, 1, 2))); }
FN(Empty) { RET(at::empty(Ints(info, 0), Opts(info, 1, 2))); }
FN(Full) { RET(at::full(Ints(info, 0), ScalarOf(info.Env(), info[1]), Opts(info, 2, 3))); }
FN(Randn) { RET(at::randn(Ints(info, 0), Opts(info, 1, 2))); }
FN(Rand) { RET(at::rand(Ints(info, 0), Opts(info, 1, 2))); }
FN(Randint) { RET(at::randint(Int(info, 0), Int(info, 1), Ints(info, 2), Opts(info, 3, 4))); }
FN(Randperm) { RET(at::randperm(Int(info, 0), Opts(info, 1, 2))); }
// arange(start, end, step, dtype, device)
FN(Arange) {
  Napi::Env env = info.Env();
  RET(at::arange(ScalarOf(env, info[0]), ScalarOf(env, info[1]), ScalarOf(env, info[2]), Opts(info, 3, 4)));
}
FN(Cat) { RET(at::cat(TList(info, 0), Int(info, 1))); }
FN(Stack) { RET(at::stack(TList(info, 0), Int(info, 1))); }
FN(Split) {
  const at::Tensor& a = T(info, 0);
  std::vector<at::Tensor> parts =
      info[1].IsArray() ? at::split_with_sizes(a, Ints(info, 1), Int(info, 2)) : at::split(a, Int(info, 1), Int(info, 2));
  Napi::Env env = info.Env();
  auto arr = Napi::Array::New(env, parts.size());
  for (size_t k = 0; k < parts.size(); k++) arr.Set(static_cast<uint32_t>(k), Wrap(env, parts[k]));
  return arr;
}
FN(Where) {
  Napi::Env env = info.Env();
  const at::Tensor& c = T(info, 0);
  const bool ta = IsHandle(info[1]), tb = IsHandle(info[2]);
  if (ta && tb) RET(at::where(c, T(info, 1), T(info, 2)));
  if (ta) RET(at::where(c, T(info, 1), ScalarOf(env, info[2])));
  if (tb) RET(at::where(c, ScalarOf(env, info[1]), T(info, 2)));
  RET(at::where(c, ScalarOf(env, info[1]), ScalarOf(env, info[2])));
}

// ---------------------------------------------------------------- elementwise

FN(Add) {
  const at::Tensor& a = T(info, 0);
  at::Scalar alpha = info.Length() > 2 && info[2].IsNumber() ? ScalarOf(info.Env(), info[2]) : at::Scalar(1);
  if (IsHandle(info[1])) RET(at::add(a, T(info, 1), alpha));
  RET(at::add(a, ScalarOf(info.Env(), info[1]), alpha));
}
FN(Sub) {
  const at::Tensor& a = T(info, 0);
  at::Scalar alpha = info.Length() > 2 && info[2].IsNumber() ? ScalarOf(info.Env(), info[2]) : at::Scalar(1);
  if (IsHandle(info[1])) RET(at::sub(a, T(info, 1), alpha));
  RET(at::sub(a, ScalarOf(info.Env(), info[1]), alpha));
}
// rsub(a, number): number - a
FN(Rsub) { RET(at::rsub(T(info, 0), ScalarOf(info.Env(), info[1]))); }
BINARY(Mul, at::mul)
BINARY(Div, at::div)
BINARY(Pow, at::pow)
BINARY(Eq, at::eq)
BINARY(Ne, at::ne)
BINARY(Lt, at::lt)
BINARY(Le, at::le)
BINARY(Gt, at::gt)
BINARY(Ge, at::ge)
BINARY(Remainder, at::remainder)
FN(Maximum) { RET(at::maximum(T(info, 0), T(info, 1))); }
FN(Minimum) { RET(at::minimum(T(info, 0), T(info, 1))); }
FN(LogicalAnd) { RET(at::logical_and(T(info, 0), T(info, 1))); }
FN(LogicalOr) { RET(at::logical_or(T(info, 0), T(info, 1))); }
UNARY(LogicalNot, at::logical_not(a))
UNARY(Neg, at::neg(a))
UNARY(Abs, at::abs(a))
UNARY(Sqrt, at::sqrt(a))
UNARY(Rsqrt, at::rsqrt(a))
UNARY(Exp, at::exp(a))
UNARY(Log, at::log(a))
UNARY(Log1p, at::log1p(a))
UNARY(Sin, at::sin(a))
UNARY(Cos, at::cos(a))
UNARY(Tanh, at::tanh(a))
UNARY(Sigmoid, at::sigmoid(a))
UNARY(Relu, at::relu(a))
UNARY(Silu, at::silu(a))
UNARY(Sign, at::sign(a))
UNARY(Floor, at::floor(a))
UNARY(Round, at::round(a))
UNARY(Reciprocal, at::reciprocal(a))
FN(Gelu) {
  std::string approx = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "none";
  RET(at::gelu(T(info, 0), approx));
}
FN(Clamp) {
  c10::optional<at::Scalar> lo, hi;
  if (info.Length() > 1 && info[1].IsNumber()) lo = ScalarOf(info.Env(), info[1]);
  if (info.Length() > 2 && info[2].IsNumber()) hi = ScalarOf(info.Env(), info[2]);
  RET(at::clamp(T(info, 0), lo, hi));
}
FN(Matmul) { RET(at::matmul(T(info, 0), T(info, 1))); }

// ---------------------------------------------------------------- reductions

// sum(t, dims|undefined, keepdim)
FN(Sum) {
  const at::Tensor& a = T(info, 0);
  if (IsNil(info[1])) RET(at::sum(a));
  auto dims = Ints(info, 1);
  RET(at::sum(a, at::OptionalIntArrayRef(at::IntArrayRef(dims)), Bool(info, 2)));
}
FN(Mean) {
  const at::Tensor& a = T(info, 0);
  if (IsNil(info[1])) RET(at::mean(a));
  auto dims = Ints(info, 1);
  RET(at::mean(a, at::OptionalIntArrayRef(at::IntArrayRef(dims)), Bool(info, 2)));
}
FN(Amax) {
  auto dims = IsNil(info[1]) ? std::vector<int64_t>{} : Ints(info, 1);
  RET(at::amax(T(info, 0), dims, Bool(info, 2)));
}
FN(Amin) {
  auto dims = IsNil(info[1]) ? std::vector<int64_t>{} : Ints(info, 1);
  RET(at::amin(T(info, 0), dims, Bool(info, 2)));
}
FN(Argmax) {
  c10::optional<int64_t> dim;
  if (!IsNil(info[1])) dim = Int(info, 1);
  RET(at::argmax(T(info, 0), dim, Bool(info, 2)));
}
FN(Argmin) {
  c10::optional<int64_t> dim;
  if (!IsNil(info[1])) dim = Int(info, 1);
  RET(at::argmin(T(info, 0), dim, Bool(info, 2)));
}
// var(t, dims|undefined, correction, keepdim)
FN(Var) {
  const at::Tensor& a = T(info, 0);
  c10::optional<int64_t> correction = Int(info, 2);
  if (IsNil(info[1])) RET(at::var(a, at::OptionalIntArrayRef(), correction, Bool(info, 3)));
  auto dims = Ints(info, 1);
  RET(at::var(a, at::OptionalIntArrayRef(at::IntArrayRef(dims)), correction, Bool(info, 3)));
}
FN(Norm) {
  const at::Tensor& a = T(info, 0);
  at::Scalar p = ScalarOf(info.Env(), info[1]);
  if (IsNil(info[2])) RET(at::norm(a, p));
  auto dims = Ints(info, 2);
  RET(at::norm(a, c10::optional<at::Scalar>(p), at::IntArrayRef(dims), Bool(info, 3)));
}
FN(Softmax) { RET(at::softmax(T(info, 0), Int(info, 1))); }
FN(LogSoftmax) { RET(at::log_softmax(T(info, 0), Int(info, 1))); }
FN(Cumsum) { RET(at::cumsum(T(info, 0), Int(info, 1))); }
FN(Topk) {
  auto r = at::topk(T(info, 0), Int(info, 1), Int(info, 2), Bool(info, 3), true);
  Napi::Env env = info.Env();
  auto arr = Napi::Array::New(env, 2);
  arr.Set(0u, Wrap(env, std::get<0>(r)));
  arr.Set(1u, Wrap(env, std::get<1>(r)));
  return arr;
}

// ---------------------------------------------------------------- shapes and indexing

FN(Reshape) { RET(at::reshape(T(info, 0), Ints(info, 1))); }
FN(View) { RET(T(info, 0).view(Ints(info, 1))); }
FN(Permute) { RET(at::permute(T(info, 0), Ints(info, 1))); }
FN(Transpose) { RET(at::transpose(T(info, 0), Int(info, 1), Int(info, 2))); }
FN(Contiguous) { RET(T(info, 0).contiguous()); }
FN(Unsqueeze) { RET(at::unsqueeze(T(info, 0), Int(info, 1))); }
FN(Squeeze) {
  if (IsNil(info[1])) RET(at::squeeze(T(info, 0)));
  RET(at::squeeze(T(info, 0), Int(info, 1)));
}
FN(Expand) { RET(T(info, 0).expand(Ints(info, 1))); }
FN(Flatten) { RET(at::flatten(T(info, 0), Int(info, 1), Int(info, 2))); }
FN(Narrow) { RET(at::narrow(T(info, 0), Int(info, 1), Int(info, 2), Int(info, 3))); }
FN(Select) { RET(at::select(T(info, 0), Int(info, 1), Int(info, 2))); }
FN(IndexSelect) { RET(at::index_select(T(info, 0), Int(info, 1), T(info, 2))); }
FN(Gather) { RET(at::gather(T(info, 0), Int(info, 1), T(info, 2))); }
FN(MaskedFill) {
  if (IsHandle(info[2])) RET(at::masked_fill(T(info, 0), T(info, 1), T(info, 2)));
  RET(at::masked_fill(T(info, 0), T(info, 1), ScalarOf(info.Env(), info[2])));
}
FN(Tril) { RET(at::tril(T(info, 0), Int(info, 1))); }
FN(Triu) { RET(at::triu(T(info, 0), Int(info, 1))); }
// to(t, dtype|undefined, device|undefined)
FN(To) {
  const at::Tensor& a = T(info, 0);
  at::ScalarType dt = IsNil(info[1]) ? a.scalar_type() : DType(info, 1);
  at::Device dev = IsNil(info[2]) ? a.device() : DeviceOf(info, 2);
  RET(a.to(dev, dt));
}
UNARY(Detach, a.detach())
UNARY(Clone, a.clone())

// ---------------------------------------------------------------- in place (return nothing; the TS side returns `this`)

FN(Copy_) {
  T(info, 0).copy_(T(info, 1));
  return info.Env().Undefined();
}
FN(Zero_) {
  T(info, 0).zero_();
  return info.Env().Undefined();
}
FN(Fill_) {
  T(info, 0).fill_(ScalarOf(info.Env(), info[1]));
  return info.Env().Undefined();
}
FN(Normal_) {
  T(info, 0).normal_(Num(info, 1), Num(info, 2));
  return info.Env().Undefined();
}
FN(Uniform_) {
  T(info, 0).uniform_(Num(info, 1), Num(info, 2));
  return info.Env().Undefined();
}
FN(Add_) {
  at::Tensor a = T(info, 0);
  at::Scalar alpha = info.Length() > 2 && info[2].IsNumber() ? ScalarOf(info.Env(), info[2]) : at::Scalar(1);
  if (IsHandle(info[1])) a.add_(T(info, 1), alpha);
  else a.add_(ScalarOf(info.Env(), info[1]), alpha);
  return info.Env().Undefined();
}
FN(Mul_) {
  at::Tensor a = T(info, 0);
  if (IsHandle(info[1])) a.mul_(T(info, 1));
  else a.mul_(ScalarOf(info.Env(), info[1]));
  return info.Env().Undefined();
}

// ---------------------------------------------------------------- autograd

FN(RequiresGrad) { return Napi::Boolean::New(info.Env(), T(info, 0).requires_grad()); }
FN(SetRequiresGrad) {
  T(info, 0).requires_grad_(Bool(info, 1));
  return info.Env().Undefined();
}
FN(HasGrad) { return Napi::Boolean::New(info.Env(), T(info, 0).grad().defined()); }
// setData(dst, src): dst's handle now refers to src's data (param.data = ...), keeping autograd identity.
FN(SetData) {
  T(info, 0).set_data(T(info, 1));
  return info.Env().Undefined();
}
FN(IsLeaf) { return Napi::Boolean::New(info.Env(), T(info, 0).is_leaf()); }
FN(Grad) {
  at::Tensor g = T(info, 0).grad();
  if (!g.defined()) return info.Env().Null();
  RET(g);
}
// setGrad(t, grad|null)
FN(SetGrad) {
  at::Tensor a = T(info, 0);
  if (IsNil(info[1])) a.mutable_grad().reset();
  else a.mutable_grad() = T(info, 1);
  return info.Env().Undefined();
}
FN(ZeroGrad) {
  at::Tensor a = T(info, 0);  // holds the TensorImpl whose grad field g refers to
  at::Tensor& g = a.mutable_grad();
  if (g.defined()) {
    if (g.grad_fn()) g = g.detach();
    else g.requires_grad_(false);
    g.zero_();
  }
  return info.Env().Undefined();
}
// backward(t, gradient|undefined, retainGraph)
FN(Backward) {
  const at::Tensor& a = T(info, 0);
  at::Tensor g = IsNil(info[1]) ? at::Tensor() : T(info, 1);
  c10::optional<bool> retain;
  if (info.Length() > 2 && info[2].IsBoolean()) retain = info[2].As<Napi::Boolean>().Value();
  a.backward(g, retain, false);
  return info.Env().Undefined();
}
FN(SetGradEnabled) {
  c10::GradMode::set_enabled(Bool(info, 0));
  return info.Env().Undefined();
}
FN(IsGradEnabled) { return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled()); }

// ---------------------------------------------------------------- nn.functional

FN(Linear) { RET(at::linear(T(info, 0), T(info, 1), OptT(info, 2))); }
// embedding(weight, ids, paddingIdx) — libtorch zeroes the padding row's gradient
FN(Embedding) { RET(at::embedding(T(info, 0), T(info, 1), IsNil(info[2]) ? -1 : Int(info, 2))); }
// layerNorm(x, normalizedShape, weight?, bias?, eps)
FN(LayerNorm) { RET(at::layer_norm(T(info, 0), Ints(info, 1), OptT(info, 2), OptT(info, 3), Num(info, 4))); }
FN(Dropout) { RET(at::dropout(T(info, 0), Num(info, 1), Bool(info, 2))); }
// crossEntropy(logits, target, weight?, reduction, ignoreIndex, labelSmoothing)
FN(CrossEntropy) {
  RET(at::cross_entropy_loss(T(info, 0), T(info, 1), OptT(info, 2), ReductionOf(info, 3), Int(info, 4), Num(info, 5)));
}
// bceWithLogits(logits, target, weight?, posWeight?, reduction)
FN(BceWithLogits) {
  RET(at::binary_cross_entropy_with_logits(T(info, 0), T(info, 1), OptT(info, 2), OptT(info, 3), ReductionOf(info, 4)));
}
FN(MseLoss) { RET(at::mse_loss(T(info, 0), T(info, 1), ReductionOf(info, 2))); }

// ---------------------------------------------------------------- optimizers (fused steps; PyTorch 1.13 formulas)

// adamwStep(params[], expAvg[], expAvgSq[], steps[] (already incremented), lr, beta1, beta2, eps, weightDecay)
// Same arithmetic, in the same order, as torch.optim.AdamW's single-tensor path in PyTorch 1.13.
FN(AdamwStep) {
  c10::NoGradGuard noGrad;
  auto params = TList(info, 0), m = TList(info, 1), v = TList(info, 2);
  auto steps = Ints(info, 3);
  const double lr = Num(info, 4), b1 = Num(info, 5), b2 = Num(info, 6), eps = Num(info, 7), wd = Num(info, 8);
  if (m.size() != params.size() || v.size() != params.size() || steps.size() != params.size()) Fail(info.Env(), "adamwStep: list lengths differ");
  for (size_t k = 0; k < params.size(); k++) {
    at::Tensor& p = params[k];
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    p.mul_(1.0 - lr * wd);
    m[k].mul_(b1).add_(g, 1.0 - b1);
    v[k].mul_(b2).addcmul_(g, g, 1.0 - b2);
    const double step = static_cast<double>(steps[k]);
    const double bc1 = 1.0 - std::pow(b1, step);
    const double bc2 = 1.0 - std::pow(b2, step);
    const double stepSize = lr / bc1;
    const double bc2Sqrt = std::sqrt(bc2);
    at::Tensor denom = (v[k].sqrt() / bc2Sqrt).add_(eps);
    p.addcdiv_(m[k], denom, -stepSize);
  }
  return info.Env().Undefined();
}

// sgdStep(params[], buffers[] (null where none yet), lr, momentum, dampening, weightDecay, nesterov)
// Returns the buffers (new handles only where one was created this step, else null), PyTorch 1.13 formulas.
FN(SgdStep) {
  c10::NoGradGuard noGrad;
  Napi::Env env = info.Env();
  auto params = TList(info, 0);
  auto bufArr = info[1].As<Napi::Array>();
  const double lr = Num(info, 2), momentum = Num(info, 3), dampening = Num(info, 4), wd = Num(info, 5);
  const bool nesterov = Bool(info, 6);
  auto out = Napi::Array::New(env, params.size());
  for (size_t k = 0; k < params.size(); k++) {
    out.Set(static_cast<uint32_t>(k), env.Null());
    at::Tensor& p = params[k];
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    at::Tensor d = wd != 0 ? g.add(p, wd) : g;
    if (momentum != 0) {
      Napi::Value bv = bufArr.Get(static_cast<uint32_t>(k));
      at::Tensor buf;
      if (IsNil(bv)) {
        buf = d.clone().detach();
        out.Set(static_cast<uint32_t>(k), Wrap(env, buf));
      } else {
        buf = TensorOf(env, bv, "momentum buffer");
        buf.mul_(momentum).add_(d, 1.0 - dampening);
      }
      d = nesterov ? d.add(buf, momentum) : buf;
    }
    p.add_(d, -lr);
  }
  return out;
}

// clipGradNorm(params[], maxNorm, normType) -> total norm before clipping (PyTorch 1.13 clip_grad_norm_)
FN(ClipGradNorm) {
  c10::NoGradGuard noGrad;
  auto params = TList(info, 0);
  const double maxNorm = Num(info, 1), normType = Num(info, 2);
  std::vector<at::Tensor> grads;
  for (auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return Napi::Number::New(info.Env(), 0.0);
  at::Tensor total;
  if (std::isinf(normType)) {
    std::vector<at::Tensor> norms;
    for (auto& g : grads) norms.push_back(g.detach().abs().max());
    total = norms.size() == 1 ? norms[0] : at::max(at::stack(norms));
  } else {
    std::vector<at::Tensor> norms;
    for (auto& g : grads) norms.push_back(at::norm(g.detach(), normType));
    total = at::norm(at::stack(norms), normType);
  }
  at::Tensor coef = at::clamp(maxNorm / (total + 1e-6), c10::nullopt, 1.0);
  for (auto& g : grads) g.detach().mul_(coef.to(g.device()));
  return Napi::Number::New(info.Env(), total.item<double>());
}

// ---------------------------------------------------------------- runtime

FN(ManualSeed) {
  at::manual_seed(static_cast<uint64_t>(Int(info, 0)));
  return info.Env().Undefined();
}
FN(SetNumThreads) {
  const int64_t n = Int(info, 0);
  if (n < 1) Fail(info.Env(), "thread count must be >= 1");
  at::set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}
FN(GetNumThreads) { return Napi::Number::New(info.Env(), at::get_num_threads()); }
FN(CudaAvailable) { return Napi::Boolean::New(info.Env(), at::hasCUDA()); }
FN(CudaDeviceCount) {
  return Napi::Number::New(info.Env(), at::hasCUDA() ? static_cast<double>(at::detail::getCUDAHooks().getNumGPUs()) : 0.0);
}
FN(Version) { return Napi::String::New(info.Env(), TORCH_VERSION); }
Napi::Object Init(Napi::Env env, Napi::Object exports);

// The file that provides sgemm_ as this addon's libraries see it: the BLAS libtorch really calls (Debian's libtorch
// reaches it through libblas.so.3, which update-alternatives may point at OpenBLAS or at the reference BLAS).
FN(BlasProvider) {
  Dl_info self{};
  void* sym = nullptr;
  if (dladdr(reinterpret_cast<void*>(&Init), &self) != 0 && self.dli_fname != nullptr) {
    void* h = dlopen(self.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (h != nullptr) {
      sym = dlsym(h, "sgemm_");
      dlclose(h);
    }
  }
  if (sym == nullptr) sym = dlsym(RTLD_DEFAULT, "sgemm_");
  Dl_info where{};
  if (sym != nullptr && dladdr(sym, &where) != 0 && where.dli_fname != nullptr) return Napi::String::New(info.Env(), where.dli_fname);
  return Napi::String::New(info.Env(), "");
}
FN(HasMkl) { return Napi::Boolean::New(info.Env(), at::hasMKL()); }

#define REG(NAME, FNC) exports.Set(NAME, Napi::Function::New(env, Guard<FNC>, NAME))

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  REG("dispose", Dispose);
  REG("meta", Meta);
  REG("liveTensors", LiveTensors);
  REG("fromBuffer", FromBuffer);
  REG("toBytes", ToBytes);
  REG("item", Item);
  REG("zeros", Zeros);
  REG("ones", Ones);
  REG("empty", Empty);
  REG("full", Full);
  REG("randn", Randn);
  REG("rand", Rand);
  REG("randint", Randint);
  REG("randperm", Randperm);
  REG("arange", Arange);
  REG("cat", Cat);
  REG("stack", Stack);
  REG("split", Split);
  REG("where", Where);
  REG("add", Add);
  REG("sub", Sub);
  REG("rsub", Rsub);
  REG("mul", Mul);
  REG("div", Div);
  REG("pow", Pow);
  REG("eq", Eq);
  REG("ne", Ne);
  REG("lt", Lt);
  REG("le", Le);
  REG("gt", Gt);
  REG("ge", Ge);
  REG("remainder", Remainder);
  REG("maximum", Maximum);
  REG("minimum", Minimum);
  REG("logicalAnd", LogicalAnd);
  REG("logicalOr", LogicalOr);
  REG("logicalNot", LogicalNot);
  REG("neg", Neg);
  REG("abs", Abs);
  REG("sqrt", Sqrt);
  REG("rsqrt", Rsqrt);
  REG("exp", Exp);
  REG("log", Log);
  REG("log1p", Log1p);
  REG("sin", Sin);
  REG("cos", Cos);
  REG("tanh", Tanh);
  REG("sigmoid", Sigmoid);
  REG("relu", Relu);
  REG("silu", Silu);
  REG("sign", Sign);
  REG("floor", Floor);
  REG("round", Round);
  REG("reciprocal", Reciprocal);
  REG("gelu", Gelu);
  REG("clamp", Clamp);
  REG("matmul", Matmul);
  REG("sum", Sum);
  REG("mean", Mean);
  REG("amax", Amax);
  REG("amin", Amin);
  REG("argmax", Argmax);
  REG("argmin", Argmin);
  REG("var", Var);
  REG("norm", Norm);
  REG("softmax", Softmax);
  REG("logSoftmax", LogSoftmax);
  REG("cumsum", Cumsum);
  REG("topk", Topk);
  REG("reshape", Reshape);
  REG("view", View);
  REG("permute", Permute);
  REG("transpose", Transpose);
  REG("contiguous", Contiguous);
  REG("unsqueeze", Unsqueeze);
  REG("squeeze", Squeeze);
  REG("expand", Expand);
  REG("flatten", Flatten);
  REG("narrow", Narrow);
  REG("select", Select);
  REG("indexSelect", IndexSelect);
  REG("gather", Gather);
  REG("maskedFill", MaskedFill);
  REG("tril", Tril);
  REG("triu", Triu);
  REG("to", To);
  REG("detach", Detach);
  REG("clone", Clone);
  REG("copy_", Copy_);
  REG("zero_", Zero_);
  REG("fill_", Fill_);
  REG("normal_", Normal_);
  REG("uniform_", Uniform_);
  REG("add_", Add_);
  REG("mul_", Mul_);
  REG("requiresGrad", RequiresGrad);
  REG("setRequiresGrad", SetRequiresGrad);
  REG("isLeaf", IsLeaf);
  REG("hasGrad", HasGrad);
  REG("setData", SetData);
  REG("grad", Grad);
  REG("setGrad", SetGrad);
  REG("zeroGrad", ZeroGrad);
  REG("backward", Backward);
  REG("setGradEnabled", SetGradEnabled);
  REG("isGradEnabled", IsGradEnabled);
  REG("linear", Linear);
  REG("embedding", Embedding);
  REG("layerNorm", LayerNorm);
  REG("dropout", Dropout);
  REG("crossEntropy", CrossEntropy);
  REG("bceWithLogits", BceWithLogits);
  REG("mseLoss", MseLoss);
  REG("adamwStep", AdamwStep);
  REG("sgdStep", SgdStep);
  REG("clipGradNorm", ClipGradNorm);
  REG("manualSeed", ManualSeed);
  REG("setNumThreads", SetNumThreads);
  REG("getNumThreads", GetNumThreads);
  REG("cudaAvailable", CudaAvailable);
  REG("cudaDeviceCount", CudaDeviceCount);
  REG("version", Version);
  REG("hasMkl", HasMkl);
  REG("blasProvider", BlasProvider);
  return exports;
}

}  // namespace

NODE_API_MODULE(lengua_torch, Init)
