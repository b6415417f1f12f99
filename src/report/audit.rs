//! The library audit (to come).
