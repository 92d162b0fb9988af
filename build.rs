fn main() {
    // Test binaries that embed Python must load the interpreter's own libpython (see TOOLCHAIN.md).
    #[cfg(feature = "python")]
    pyo3_build_config::add_libpython_rpath_link_args();
}
