/* The kernels compiled for AVX-512 (F, BW, DQ, VL) with FMA; dispatch.c calls them only when the CPU has it. */
#include "kernel_table.h"

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma"))), apply_to = function)
#define ISA avx512
#include "kernel_instances.h"
#pragma clang attribute pop
#endif
