#ifndef NAS_COPENBLAS_SHIM_H
#define NAS_COPENBLAS_SHIM_H
// OpenBLAS from Debian's libopenblas-dev (cblas.h lives under /usr/include/<triplet>/).
#include <cblas.h>
#endif
