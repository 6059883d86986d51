#ifndef NAS_KERNEL_TABLE_H
#define NAS_KERNEL_TABLE_H
/* One instruction set's compiled kernels, for the dispatcher in dispatch.c. */
#include "nas_kernels.h"

#define NAS_TABLE_TYPE(S, T)                                                                               \
  typedef struct {                                                                                         \
    void (*depthwise_forward)(const nas_depthwise_geometry *, const S *, const S *, S *, long, long);      \
    void (*depthwise_backward)(const nas_depthwise_geometry *, const S *, const S *, const S *, S *, S *,  \
                               long, long);                                                                \
    void (*activation_forward)(nas_activation, const S *, S *, long, long, const S *, const S *);          \
    void (*activation_backward)(nas_activation, const S *, const S *, S *, long, long, const S *,          \
                                const S *);                                                                \
    void (*batchnorm_normalize)(S *, long, long, const S *, const S *);                                    \
    void (*batchnorm_backward)(const S *, S *, long, long, const S *, const S *, const S *);               \
    void (*channel_sums)(nas_sum_term, const S *, const S *, long, long, double *, S *);                   \
    void (*activation_backward_sums)(nas_activation, const S *, const S *, S *, long, long, const S *,     \
                                     const S *, double *, double *, S *);                                  \
  } nas_kernel_table_##T;

NAS_TABLE_TYPE(float, f32)
NAS_TABLE_TYPE(double, f64)

extern const nas_kernel_table_f32 nas_table_baseline_f32, nas_table_avx2_f32, nas_table_avx512_f32;
extern const nas_kernel_table_f64 nas_table_baseline_f64, nas_table_avx2_f64, nas_table_avx512_f64;
#endif
