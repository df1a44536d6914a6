#ifndef CSHIMS_H
#define CSHIMS_H
// Thin wrappers for Linux calls and macros Swift cannot import directly.
#endif
