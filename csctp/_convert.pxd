# Argument conversion shared by the Cython modules (inlined where cimported).
#
# Cython's own C-integer arguments raise OverflowError for large values (not
# a ValueError, and without naming the call) and truncate floats; every
# public integer argument goes through as_int instead: exact ints take a fast
# path, other integer-likes (numpy scalars, IntEnum) go through __index__,
# anything else is a TypeError, and out-of-range values a ValueError, each
# naming the argument as "<operation>: <name>".

from cpython.long cimport PyLong_CheckExact, PyLong_AsLongLongAndOverflow
from cpython.number cimport PyNumber_Index


cdef inline long long as_int(object v, str what, long long lo, long long hi) except? -1:
    cdef int overflow = 0
    cdef long long x
    if not PyLong_CheckExact(v):
        if isinstance(v, float) or not hasattr(type(v), "__index__"):
            raise TypeError(f"{what} must be an int, got {type(v).__name__}")
        v = PyNumber_Index(v)
    x = PyLong_AsLongLongAndOverflow(v, &overflow)
    if overflow or x < lo or x > hi:
        raise ValueError(f"{what} must be in {lo}..{hi}, got {v!r}")
    return x
