/* The kernels, written once and compiled per instruction set and element type: a kernels_<isa>.c
 * file defines ISA (baseline, avx2, avx512) and applies the instruction set's target attribute;
 * kernel_instances.h then defines S (float, double) and T (f32, f64) and includes this file,
 * which defines that combination's table nas_table_<ISA>_<T>. No include guard: it is
 * included once per combination.
 *
 * The depthwise forward pass keeps four vector accumulators per channel block in registers;
 * everything else is plain loops over contiguous channels, which the compiler vectorises at
 * the target's width. No sum is reordered across channels, so each instruction set gives the
 * same results run after run (paths differ only where FMA contracts a multiply-add). */

#define NAS_PASTE3(a, b, c) a##_##b##_##c
#define NAS_NAME3(a, b, c) NAS_PASTE3(a, b, c)
#define NAME(name) NAS_NAME3(name, ISA, T)
#define NAS_TABLE2(isa, t) nas_table_##isa##_##t
#define NAS_TABLE1(isa, t) NAS_TABLE2(isa, t)
#define NAS_TABLE_TYPE2(t) nas_kernel_table_##t
#define NAS_TABLE_TYPE1(t) NAS_TABLE_TYPE2(t)

#ifndef NAS_KERNEL_BODY_ONCE
#define NAS_KERNEL_BODY_ONCE
/* Vector bytes per instruction set (the widest register the kernels use). */
#define NAS_VBYTES_baseline 16
#define NAS_VBYTES_avx2 32
#define NAS_VBYTES_avx512 64
#define NAS_VBYTES2(isa) NAS_VBYTES_##isa
#define NAS_VBYTES1(isa) NAS_VBYTES2(isa)
#endif

typedef S NAME(vec) __attribute__((vector_size(NAS_VBYTES1(ISA)), aligned(sizeof(S))));
#define VEC NAME(vec)
#define LANES ((long)(NAS_VBYTES1(ISA) / sizeof(S)))

static inline __attribute__((always_inline)) VEC NAME(load)(const S *p) {
  VEC v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

static inline __attribute__((always_inline)) void NAME(store)(S *p, VEC v) { __builtin_memcpy(p, &v, sizeof v); }

/* Visits the valid taps (ky, kx) of one output pixel: xp and wp point at channel c of the input
 * pixel and of the filter tap. */
#define NAS_TAPS(c, body)                                                        \
  for (long ky = kylo; ky < kyhi; ky++) {                                        \
    for (long kx = kxlo; kx < kxhi; kx++) {                                      \
      const S *xp = xs + ((iy0 + ky) * W + (ix0 + kx)) * C + (c);                 \
      const S *wp = w + (ky * k + kx) * C + (c);                                  \
      body                                                                        \
    }                                                                             \
  }

/* The valid kernel offsets [lo, hi) for output coordinate o along a side of length n. */
#define NAS_TAP_RANGE(o, n, origin, lo, hi)       \
  long origin = (o) * g->stride - g->padding;      \
  long lo = origin < 0 ? -origin : 0;              \
  long hi = (n) - origin < k ? (n) - origin : k;   \
  if (hi < lo) hi = lo;

static void NAME(depthwise_forward)(const nas_depthwise_geometry *g, const S *x, const S *w, S *y, long first,
                                    long end) {
  const long C = g->channels, k = g->kernel, H = g->height, W = g->width;
  const long outPixels = g->out_height * g->out_width;
  for (long n = first; n < end; n++) {
    const S *xs = x + n * H * W * C;
    S *out = y + n * outPixels * C;
    for (long oy = 0; oy < g->out_height; oy++) {
      NAS_TAP_RANGE(oy, H, iy0, kylo, kyhi)
      for (long ox = 0; ox < g->out_width; ox++) {
        NAS_TAP_RANGE(ox, W, ix0, kxlo, kxhi)
        long c = 0;
        for (; c + 4 * LANES <= C; c += 4 * LANES) {
          VEC a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
          NAS_TAPS(c, {
            a0 += NAME(load)(xp) * NAME(load)(wp);
            a1 += NAME(load)(xp + LANES) * NAME(load)(wp + LANES);
            a2 += NAME(load)(xp + 2 * LANES) * NAME(load)(wp + 2 * LANES);
            a3 += NAME(load)(xp + 3 * LANES) * NAME(load)(wp + 3 * LANES);
          })
          NAME(store)(out + c, a0);
          NAME(store)(out + c + LANES, a1);
          NAME(store)(out + c + 2 * LANES, a2);
          NAME(store)(out + c + 3 * LANES, a3);
        }
        for (; c + LANES <= C; c += LANES) {
          VEC a = {0};
          NAS_TAPS(c, { a += NAME(load)(xp) * NAME(load)(wp); })
          NAME(store)(out + c, a);
        }
        for (; c < C; c++) {
          S a = 0;
          NAS_TAPS(c, { a += *xp * *wp; })
          out[c] = a;
        }
        out += C;
      }
    }
  }
}

static void NAME(depthwise_backward)(const nas_depthwise_geometry *g, const S *x, const S *w, const S *dy, S *dx,
                                     S *dw, long first, long end) {
  const long C = g->channels, k = g->kernel, H = g->height, W = g->width;
  const long outPixels = g->out_height * g->out_width;
  for (long n = first; n < end; n++) {
    const S *xs = x + n * H * W * C;
    S *dxs = dx ? dx + n * H * W * C : 0;
    if (dxs) __builtin_memset(dxs, 0, sizeof(S) * H * W * C);
    const S *grow = dy + n * outPixels * C;
    for (long oy = 0; oy < g->out_height; oy++) {
      NAS_TAP_RANGE(oy, H, iy0, kylo, kyhi)
      for (long ox = 0; ox < g->out_width; ox++) {
        NAS_TAP_RANGE(ox, W, ix0, kxlo, kxhi)
        for (long ky = kylo; ky < kyhi; ky++) {
          for (long kx = kxlo; kx < kxhi; kx++) {
            const long p = ((iy0 + ky) * W + (ix0 + kx)) * C, q = (ky * k + kx) * C;
            const S *xp = xs + p, *wp = w + q;
            S *dwp = dw + q;
            for (long c = 0; c < C; c++) dwp[c] += xp[c] * grow[c];
            if (dxs) {
              S *dxp = dxs + p;
              for (long c = 0; c < C; c++) dxp[c] += wp[c] * grow[c];
            }
          }
        }
        grow += C;
      }
    }
  }
}

/* The activations and their slopes at the pre-activation v (as the Swift reference kernels:
 * comparisons leave NaN where it is). */
static inline __attribute__((always_inline)) S NAME(value)(nas_activation f, S v) {
  switch (f) {
  case NAS_ACT_RELU: return v < 0 ? 0 : v;
  case NAS_ACT_RELU6: {
    S t = v < 0 ? 0 : v;
    return t > 6 ? 6 : t;
  }
  case NAS_ACT_HSIGMOID: {
    S t = v * (S)(1.0 / 6.0) + (S)0.5;
    t = t < 0 ? 0 : t;
    return t > 1 ? 1 : t;
  }
  case NAS_ACT_HSWISH: {
    S t = v * (S)(1.0 / 6.0) + (S)0.5;
    t = t < 0 ? 0 : t;
    return v * (t > 1 ? 1 : t);
  }
  default: return v;
  }
}

static inline __attribute__((always_inline)) S NAME(slope)(nas_activation f, S v) {
  switch (f) {
  case NAS_ACT_RELU: return (v > 0 && v < (S)__builtin_inf()) ? 1 : 0;
  case NAS_ACT_RELU6: return (v > 0 && v < 6) ? 1 : 0;
  case NAS_ACT_HSIGMOID: return (v > -3 && v < 3) ? (S)(1.0 / 6.0) : 0;
  case NAS_ACT_HSWISH: {
    S outside = (v > 0 && v < (S)__builtin_inf()) ? 1 : 0;
    return (v > -3 && v < 3) ? v * (S)(1.0 / 3.0) + (S)0.5 : outside;
  }
  default: return 1;
  }
}

/* One loop per activation, so each inner loop is branch-free and vectorises. */
#define NAS_PER_ACTIVATION(f, LOOP)                    \
  switch (f) {                                         \
  case NAS_ACT_RELU: LOOP(NAS_ACT_RELU) break;         \
  case NAS_ACT_RELU6: LOOP(NAS_ACT_RELU6) break;       \
  case NAS_ACT_HSWISH: LOOP(NAS_ACT_HSWISH) break;     \
  case NAS_ACT_HSIGMOID: LOOP(NAS_ACT_HSIGMOID) break; \
  default: LOOP(NAS_ACT_IDENTITY) break;               \
  }

static void NAME(activation_forward)(nas_activation f, const S *x, S *y, long rows, long C, const S *scale,
                                     const S *shift) {
  if (!scale && !shift) {
    const long total = rows * C;
#define NAS_FLAT(F) for (long i = 0; i < total; i++) y[i] = NAME(value)(F, x[i]);
    NAS_PER_ACTIVATION(f, NAS_FLAT)
#undef NAS_FLAT
  } else if (!scale) {
#define NAS_SHIFT(F)                                                           \
  for (long r = 0; r < rows; r++) {                                            \
    const S *xr = x + r * C;                                                   \
    S *yr = y + r * C;                                                         \
    for (long c = 0; c < C; c++) yr[c] = NAME(value)(F, xr[c] + shift[c]);     \
  }
    NAS_PER_ACTIVATION(f, NAS_SHIFT)
#undef NAS_SHIFT
  } else if (!shift) {
#define NAS_SCALE(F)                                                           \
  for (long r = 0; r < rows; r++) {                                            \
    const S *xr = x + r * C;                                                   \
    S *yr = y + r * C;                                                         \
    for (long c = 0; c < C; c++) yr[c] = NAME(value)(F, xr[c] * scale[c]);     \
  }
    NAS_PER_ACTIVATION(f, NAS_SCALE)
#undef NAS_SCALE
  } else {
#define NAS_AFFINE(F)                                                                  \
  for (long r = 0; r < rows; r++) {                                                    \
    const S *xr = x + r * C;                                                           \
    S *yr = y + r * C;                                                                 \
    for (long c = 0; c < C; c++) yr[c] = NAME(value)(F, xr[c] * scale[c] + shift[c]);  \
  }
    NAS_PER_ACTIVATION(f, NAS_AFFINE)
#undef NAS_AFFINE
  }
}

static void NAME(activation_backward)(nas_activation f, const S *x, const S *g, S *d, long rows, long C,
                                      const S *scale, const S *shift) {
  if (!scale && !shift) {
    const long total = rows * C;
#define NAS_FLAT(F) for (long i = 0; i < total; i++) d[i] = g[i] * NAME(slope)(F, x[i]);
    NAS_PER_ACTIVATION(f, NAS_FLAT)
#undef NAS_FLAT
  } else if (!scale) {
#define NAS_SHIFT(F)                                                                      \
  for (long r = 0; r < rows; r++) {                                                       \
    const long o = r * C;                                                                 \
    for (long c = 0; c < C; c++) d[o + c] = g[o + c] * NAME(slope)(F, x[o + c] + shift[c]); \
  }
    NAS_PER_ACTIVATION(f, NAS_SHIFT)
#undef NAS_SHIFT
  } else if (!shift) {
#define NAS_SCALE(F)                                                                      \
  for (long r = 0; r < rows; r++) {                                                       \
    const long o = r * C;                                                                 \
    for (long c = 0; c < C; c++) d[o + c] = g[o + c] * NAME(slope)(F, x[o + c] * scale[c]); \
  }
    NAS_PER_ACTIVATION(f, NAS_SCALE)
#undef NAS_SCALE
  } else {
#define NAS_AFFINE(F)                                                                                   \
  for (long r = 0; r < rows; r++) {                                                                     \
    const long o = r * C;                                                                               \
    for (long c = 0; c < C; c++) d[o + c] = g[o + c] * NAME(slope)(F, x[o + c] * scale[c] + shift[c]);  \
  }
    NAS_PER_ACTIVATION(f, NAS_AFFINE)
#undef NAS_AFFINE
  }
}

static void NAME(batchnorm_normalize)(S *x, long rows, long C, const S *mean, const S *invstd) {
  for (long r = 0; r < rows; r++) {
    S *p = x + r * C;
    for (long c = 0; c < C; c++) p[c] = (p[c] - mean[c]) * invstd[c];
  }
}

static void NAME(batchnorm_backward)(const S *xhat, S *dy, long rows, long C, const S *k, const S *a, const S *b) {
  for (long r = 0; r < rows; r++) {
    S *p = dy + r * C;
    const S *q = xhat + r * C;
    for (long c = 0; c < C; c++) p[c] = k[c] * (p[c] - a[c] - q[c] * b[c]);
  }
}

static void NAME(channel_sums)(nas_sum_term term, const S *x, const S *b, long rows, long C, double *out,
                               S *acc) {
  for (long start = 0; start < rows; start += 64) {
    const long stop = start + 64 < rows ? start + 64 : rows;
    for (long c = 0; c < C; c++) acc[c] = 0;
    switch (term) {
    case NAS_SUM_VALUE:
      for (long r = start; r < stop; r++)
        for (long c = 0; c < C; c++) acc[c] += x[r * C + c];
      break;
    case NAS_SUM_SQUARED_DEVIATION:
      for (long r = start; r < stop; r++)
        for (long c = 0; c < C; c++) {
          S d = x[r * C + c] - b[c];
          acc[c] += d * d;
        }
      break;
    case NAS_SUM_PRODUCT:
      for (long r = start; r < stop; r++)
        for (long c = 0; c < C; c++) acc[c] += x[r * C + c] * b[r * C + c];
      break;
    }
    for (long c = 0; c < C; c++) out[c] += acc[c];
  }
}

static void NAME(activation_backward_sums)(nas_activation f, const S *xhat, const S *g, S *d, long rows, long C,
                                           const S *gamma, const S *beta, double *sum_d, double *sum_dx, S *acc) {
  S *acc_d = acc, *acc_dx = acc + C;
  for (long start = 0; start < rows; start += 64) {
    const long stop = start + 64 < rows ? start + 64 : rows;
    for (long c = 0; c < C; c++) acc_d[c] = acc_dx[c] = 0;
#define NAS_FUSED(F)                                                     \
  for (long r = start; r < stop; r++) {                                  \
    const long o = r * C;                                                \
    for (long c = 0; c < C; c++) {                                       \
      const S v = g[o + c] * NAME(slope)(F, xhat[o + c] * gamma[c] + beta[c]); \
      d[o + c] = v;                                                      \
      acc_d[c] += v;                                                     \
      acc_dx[c] += v * xhat[o + c];                                      \
    }                                                                    \
  }
    NAS_PER_ACTIVATION(f, NAS_FUSED)
#undef NAS_FUSED
    for (long c = 0; c < C; c++) {
      sum_d[c] += acc_d[c];
      sum_dx[c] += acc_dx[c];
    }
  }
}

const NAS_TABLE_TYPE1(T) NAS_TABLE1(ISA, T) = {
    NAME(depthwise_forward),   NAME(depthwise_backward),  NAME(activation_forward), NAME(activation_backward),
    NAME(batchnorm_normalize), NAME(batchnorm_backward), NAME(channel_sums),       NAME(activation_backward_sums),
};

#undef VEC
#undef LANES
