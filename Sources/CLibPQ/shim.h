#ifndef NAS_CLIBPQ_SHIM_H
#define NAS_CLIBPQ_SHIM_H
// libpq (libpq-dev), PostgreSQL's own C client: the results store's PostgreSQL engine.
#include <postgresql/libpq-fe.h>
#endif
