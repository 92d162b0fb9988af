//! Reading files a user named (inventories, profile sources): regular files only, bounded by
//! the bytes actually read. `metadata().len()` cannot bound a read: it is 0 for devices
//! (`/dev/zero`), procfs files and FIFOs, which then stream without end or block forever.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// The most bytes read from one file a user names (an inventory or its variable files, a
/// profile's source, an `exec --input-file`): far above any real one, and bounded.
pub const USER_FILE_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Why a file was not read. Says what is wrong, never what the file holds.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// A directory, device, FIFO or socket: `kind` names which.
    NotRegular(&'static str),
    TooLarge(u64),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "cannot read: {e}"),
            ReadError::NotRegular(kind) => {
                write!(f, "is a {kind}, not a regular file")
            }
            ReadError::TooLarge(limit) => write!(f, "is larger than {limit} bytes"),
        }
    }
}

impl std::error::Error for ReadError {}

/// Opens `path` for reading without blocking on a FIFO (O_NONBLOCK) or taking a terminal
/// (O_NOCTTY), and refuses anything but a regular file: the type is checked on the open
/// descriptor, so a path swapped after a check is still caught.
pub fn open_regular(path: &Path) -> Result<File, ReadError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
        .map_err(ReadError::Io)?;
    let ft = file.metadata().map_err(ReadError::Io)?.file_type();
    if ft.is_file() {
        return Ok(file);
    }
    Err(ReadError::NotRegular(if ft.is_dir() {
        "directory"
    } else if ft.is_fifo() {
        "FIFO"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_char_device() || ft.is_block_device() {
        "device"
    } else {
        "special file"
    }))
}

/// A regular file's bytes, at most `limit` of them (more is an error, found by reading one
/// byte past the limit, never by trusting the size the file claims).
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(bytes)
}

/// A file a user named: a regular file of at most [`USER_FILE_MAX_BYTES`].
pub fn read_user_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    read_bounded(path, USER_FILE_MAX_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn devices_and_procfs_are_bounded_or_refused() {
        let t0 = Instant::now();
        assert!(matches!(
            read_bounded(Path::new("/dev/zero"), 1024),
            Err(ReadError::NotRegular("device"))
        ));
        assert!(matches!(
            read_bounded(Path::new("/tmp"), 1024),
            Err(ReadError::NotRegular("directory"))
        ));
        // procfs: a regular file whose size says 0.
        let status = read_bounded(Path::new("/proc/self/status"), 1 << 20).unwrap();
        assert!(!status.is_empty());
        assert!(matches!(
            read_bounded(Path::new("/proc/self/status"), 8),
            Err(ReadError::TooLarge(8))
        ));
        assert!(t0.elapsed().as_secs() < 5);
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = std::env::temp_dir().join(format!("airs-fifo-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("inv");
        let c = std::ffi::CString::new(fifo.display().to_string()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo has no other preconditions.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let t0 = Instant::now();
        let e = read_bounded(&fifo, 1024).unwrap_err();
        assert_eq!(e.to_string(), "is a FIFO, not a regular file");
        assert!(t0.elapsed().as_secs() < 5);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn regular_files_within_the_limit_are_read() {
        let dir = std::env::temp_dir().join(format!("airs-read-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("f");
        std::fs::write(&f, "12345").unwrap();
        assert_eq!(read_bounded(&f, 5).unwrap(), b"12345");
        assert!(matches!(read_bounded(&f, 4), Err(ReadError::TooLarge(4))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
