// Debian's libsnappy-dev: the C API only; snappy.h is C++.
#include <snappy-c.h>
