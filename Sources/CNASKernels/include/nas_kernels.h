#ifndef NAS_KERNELS_H
#define NAS_KERNELS_H
/* The training engine's own vector kernels (depthwise convolution, batch norm, piecewise-linear
 * activations, per-channel sums) over NHWC matrices, compiled once per instruction set and
 * chosen at run time, so one binary uses AVX-512 or AVX2 where the CPU has them.
 *
 * Every function works on the instruction set nas_kernels_select() chose last (the best one
 * this CPU supports until then). Each call is independent; callers split rows or samples
 * over threads themselves. */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Instruction sets, in increasing order. */
typedef enum {
  NAS_ISA_BASELINE = 0, /* x86-64 (SSE2), or the target's baseline elsewhere */
  NAS_ISA_AVX2 = 1,     /* AVX2 + FMA */
  NAS_ISA_AVX512 = 2,   /* AVX-512 F, BW, DQ, VL */
} nas_isa;

/* The best instruction set this CPU and its operating system support. */
nas_isa nas_kernels_best_isa(void);
/* Use `isa` from now on; returns 0, or -1 (and changes nothing) when the CPU lacks it. */
int nas_kernels_select(nas_isa isa);
/* The instruction set in use. */
nas_isa nas_kernels_selected(void);

/* The piecewise-linear activations the kernels apply; others stay with the caller. */
typedef enum {
  NAS_ACT_IDENTITY = 0,
  NAS_ACT_RELU = 1,
  NAS_ACT_RELU6 = 2,
  NAS_ACT_HSWISH = 3,
  NAS_ACT_HSIGMOID = 4,
} nas_activation;

/* Per-channel sums' summands: x[r,c]; (x[r,c] - b[c])^2; x[r,c] * b[r,c]. */
typedef enum {
  NAS_SUM_VALUE = 0,
  NAS_SUM_SQUARED_DEVIATION = 1,
  NAS_SUM_PRODUCT = 2,
} nas_sum_term;

/* A "same"-padded depthwise convolution: one k x k filter per channel, weights [ky][kx][c]. */
typedef struct {
  long height, width, channels;
  long out_height, out_width;
  long kernel, stride, padding;
} nas_depthwise_geometry;

#define NAS_KERNELS_DECLARE(S, T)                                                                          \
  /* y = depthwise(x, w) for samples [first, end). */                                                      \
  void nas_depthwise_forward_##T(const nas_depthwise_geometry *g, const S *x, const S *w, S *y, long first,  \
                                 long end);                                                                  \
  /* dx = depthwise-transpose(dy) (dx cleared first; NULL skips it) and dw += the weight gradient. */       \
  void nas_depthwise_backward_##T(const nas_depthwise_geometry *g, const S *x, const S *w, const S *dy,      \
                                  S *dx, S *dw, long first, long end);                                       \
  /* y = f(x * scale[c] + shift[c]) over rows x channels (scale, shift NULL: 1 and 0). */                   \
  void nas_activation_forward_##T(nas_activation f, const S *x, S *y, long rows, long channels,            \
                                  const S *scale, const S *shift);                                           \
  /* d = g * f'(x * scale[c] + shift[c]). */                                                                 \
  void nas_activation_backward_##T(nas_activation f, const S *x, const S *g, S *d, long rows,              \
                                   long channels, const S *scale, const S *shift);                           \
  /* In place: x = (x - mean[c]) * invstd[c]. */                                                             \
  void nas_batchnorm_normalize_##T(S *x, long rows, long channels, const S *mean, const S *invstd);         \
  /* In place over dy: dy = k[c] * (dy - a[c] - xhat * b[c]). */                                             \
  void nas_batchnorm_backward_##T(const S *xhat, S *dy, long rows, long channels, const S *k, const S *a,  \
                                  const S *b);                                                               \
  /* out[c] += sum over rows of term(x, b); short runs of 64 rows summed in S, then added in double. */     \
  /* scratch holds `channels` values. */                                                                     \
  void nas_channel_sums_##T(nas_sum_term term, const S *x, const S *b, long rows, long channels,           \
                            double *out, S *scratch);                                                        \
  /* Batch norm's backward through an activation, first pass: d = g * f'(xhat * gamma[c] + beta[c]), */    \
  /* and sum_d[c] += sum of d, sum_dx[c] += sum of d * xhat (as nas_channel_sums; scratch: 2 * channels). */ \
  void nas_activation_backward_sums_##T(nas_activation f, const S *xhat, const S *g, S *d, long rows,       \
                                        long channels, const S *gamma, const S *beta, double *sum_d,         \
                                        double *sum_dx, S *scratch);

NAS_KERNELS_DECLARE(float, f32)
NAS_KERNELS_DECLARE(double, f64)

#ifdef __cplusplus
}
#endif
#endif
