/*
 * duet_stdio: mutes the process's stderr (file descriptor 2) while
 * TensorFlow's library loads. TensorFlow 2.16+ logs through absl before
 * absl::InitializeLog() runs, so TF_CPP_MIN_LOG_LEVEL cannot hide its start-up
 * lines (e.g. "oneDNN custom operations are on", printed on CPUs where oneDNN
 * turns itself on). The lines are written by C++ to fd 2 directly, so only a
 * file-descriptor redirect reaches them; Node has no API for dup2.
 *
 * mute()      -> a saved copy of fd 2 (a number), with fd 2 now /dev/null
 * restore(fd) -> fd 2 is the saved descriptor again; the copy is closed
 *
 * It also gives the calling thread an alternate signal stack (issue: profiling
 * crashed a training loop with "corrupted size vs. prev_size"; docs/design/
 * performance.md "Profiling"). TensorFlow's matrix products run oneDNN's JIT
 * sgemm kernels (jit_avx512_common_gemm_f32, jit_avx_gemm_f32), which point
 * the stack pointer (rsp) at a workspace buffer on the heap while they run
 * (oneDNN issue 4845, fixed in oneDNN 3.11.2 by PR 4855; TensorFlow 2.21 ships
 * an older oneDNN). A signal delivered to the thread then has its frame (the
 * saved registers, ~3 KB with AVX-512 state, more with AMX) written by the
 * kernel below that rsp: over the heap. V8's CPU profiler (`--cpu-prof`,
 * `--prof`, the inspector) sends SIGPROF to the JavaScript thread about every
 * millisecond, so a training loop's heap is soon corrupt. V8 installs its
 * handler with SA_ONSTACK: with an alternate stack in place the kernel writes
 * the frame there instead, whatever rsp points at.
 *
 * signalStack() -> true when the calling thread has an alternate signal
 *                  stack (this call's, or one that was already there)
 *
 * Node's own signal handlers (libuv's, installed for `process.on('SIGTERM')`
 * and the like) are installed without SA_ONSTACK, so a SIGTERM or SIGINT that
 * arrives during a matrix product would still have its frame written over
 * the heap:
 *
 * handlersOnStack() -> the number of installed handlers of asynchronous
 *                  signals (not SIG_DFL or SIG_IGN; fault signals such as
 *                  SIGSEGV are left alone) it re-installed with SA_ONSTACK added; nothing
 *                  else about them changes (the handler, its mask and other
 *                  flags are the ones read back).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <node_api.h>
#ifdef __linux__
#include <sys/auxv.h> /* getauxval(AT_MINSIGSTKSZ) */
#endif
#ifndef MAP_STACK
#define MAP_STACK 0
#endif

static napi_value mute(napi_env env, napi_callback_info info) {
  (void)info;
  fflush(stderr);
  int saved = dup(2);
  int null_fd = open("/dev/null", O_WRONLY);
  if (saved >= 0 && null_fd >= 0) dup2(null_fd, 2);
  if (null_fd >= 0) close(null_fd);
  napi_value result;
  napi_create_int32(env, saved, &result);
  return result;
}

static napi_value restore(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t saved = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1) napi_get_value_int32(env, argv[0], &saved);
  if (saved >= 0) {
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
  }
  return NULL;
}

/* 256 KiB for the handlers (V8's sampler walks the stack from there), at least
 * 8 times the kernel's minimum frame size (AT_MINSIGSTKSZ: it counts the
 * CPU's full register state, AMX tiles included), below a guard page. */
#define ALT_STACK_BYTES (256 * 1024)

struct alt_stack {
  void *map;
  size_t map_size;
};

/* The environment is going away (its thread ends): switch the alternate stack
 * off before unmapping it, so that no later signal can land in freed memory. */
static void free_alt_stack(void *arg) {
  struct alt_stack *a = arg;
  stack_t off = {.ss_sp = NULL, .ss_flags = SS_DISABLE, .ss_size = 0};
  if (sigaltstack(&off, NULL) == 0) munmap(a->map, a->map_size);
  free(a);
}

static napi_value signal_stack(napi_env env, napi_callback_info info) {
  (void)info;
  bool in_place = false;
  stack_t cur;
  if (sigaltstack(NULL, &cur) == 0) {
    in_place = !(cur.ss_flags & SS_DISABLE);
    if (!in_place) {
      size_t page = (size_t)sysconf(_SC_PAGESIZE);
      size_t size = ALT_STACK_BYTES;
#if defined(__linux__) && defined(AT_MINSIGSTKSZ)
      size_t min = (size_t)getauxval(AT_MINSIGSTKSZ);
      if (size < 8 * min) size = (8 * min + page - 1) / page * page;
#endif
      struct alt_stack *a = malloc(sizeof *a);
      void *map = MAP_FAILED;
      if (a != NULL) map = mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
      if (map != MAP_FAILED && mprotect(map, page, PROT_NONE) == 0) {
        stack_t ss = {.ss_sp = (char *)map + page, .ss_flags = 0, .ss_size = size};
        if (sigaltstack(&ss, NULL) == 0) {
          a->map = map;
          a->map_size = size + page;
          napi_add_env_cleanup_hook(env, free_alt_stack, a);
          in_place = true;
        }
      }
      if (!in_place) {
        if (map != MAP_FAILED) munmap(map, size + page);
        free(a);
      }
    }
  }
  napi_value result;
  napi_get_boolean(env, in_place, &result);
  return result;
}

static napi_value handlers_on_stack(napi_env env, napi_callback_info info) {
  (void)info;
  int changed = 0;
#ifdef SA_ONSTACK
  for (int sig = 1; sig < NSIG; ++sig) {
    // Asynchronous signals only: a fault's handler (SIGSEGV: V8's WebAssembly trap handler, crash reporters) is left as it is.
    if (sig == SIGKILL || sig == SIGSTOP || sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP || sig == SIGSYS) continue;
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) != 0) continue;
    if ((sa.sa_flags & SA_SIGINFO) == 0 && (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)) continue;
    if (sa.sa_flags & SA_ONSTACK) continue;
    sa.sa_flags |= SA_ONSTACK;
    if (sigaction(sig, &sa, NULL) == 0) ++changed;
  }
#endif
  napi_value result;
  napi_create_int32(env, changed, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"mute", NULL, mute, NULL, NULL, NULL, napi_default, NULL},
    {"restore", NULL, restore, NULL, NULL, NULL, napi_default, NULL},
    {"signalStack", NULL, signal_stack, NULL, NULL, NULL, napi_default, NULL},
    {"handlersOnStack", NULL, handlers_on_stack, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 4, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
