/* The kernels for the target's baseline instruction set (SSE2 on x86-64). */
#include "kernel_table.h"

#define ISA baseline
#include "kernel_instances.h"
