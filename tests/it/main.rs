mod support;
mod sync;
mod trust;
