/* The kernels compiled for AVX2 with FMA; dispatch.c calls them only when the CPU has it. */
#include "kernel_table.h"

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define ISA avx2
#include "kernel_instances.h"
#pragma clang attribute pop
#endif
