/* Instantiates kernel_body.h for float and double under the including file's ISA (and its
 * target attribute): each kernels_<isa>.c defines ISA and includes this once. */
#define S float
#define T f32
#include "kernel_body.h"
#undef S
#undef T
#define S double
#define T f64
#include "kernel_body.h"
#undef S
#undef T
