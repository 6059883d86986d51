/* The kernels for the target's baseline instruction set (SSE2 on x86-64). */
#include "kernel_table.h"

#define ISA baseline
#define S float
#define T f32
#include "kernel_body.h"
#undef S
#undef T
#define S double
#define T f64
#include "kernel_body.h"
