#ifndef NAS_CXNNPACK_SHIM_H
#define NAS_CXNNPACK_SHIM_H
// XNNPACK from Debian's libxnnpack-dev; its header includes pthreadpool.h (libpthreadpool-dev).
#include <xnnpack.h>
#endif
