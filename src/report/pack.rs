//! The paper pack (to come).
