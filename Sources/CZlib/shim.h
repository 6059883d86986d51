#ifndef NAS_CZLIB_SHIM_H
#define NAS_CZLIB_SHIM_H
// zlib (zlib1g-dev) reads the gzip-compressed IDX files Debian ships for Fashion-MNIST.
#include <zlib.h>
#endif
