import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What stops a file from being written where the user asked.
public enum OutputFileError: Error, CustomStringConvertible, Equatable, Sendable {
  /// An empty path.
  case emptyPath
  /// The path names a folder.
  case isFolder(path: String)
  /// The folder the file would go in does not exist.
  case missingFolder(path: String, folder: String)
  /// What should be the file's folder is something else (a file, a device).
  case folderIsNotAFolder(path: String, folder: String)
  /// The folder exists but this user may not create files in it.
  case folderNotWritable(path: String, folder: String)
  /// The path is a kind of file nas does not write to (a block device, a socket).
  case unsupportedKind(path: String, kind: String)
  /// Symbolic links that loop, or a chain of them too long to follow.
  case tooManyLinks(path: String)
  /// The operating system refused or failed the write (full disk, no permission, ...).
  case writeFailed(path: String, reason: String)

  /// The path the error is about.
  public var path: String {
    switch self {
    case .emptyPath: return ""
    case .isFolder(let p), .missingFolder(let p, _), .folderIsNotAFolder(let p, _), .folderNotWritable(let p, _),
      .unsupportedKind(let p, _), .tooManyLinks(let p), .writeFailed(let p, _):
      return p
    }
  }

  /// What went wrong and what to do, without the path (for messages that name it already).
  public var reason: String {
    switch self {
    case .emptyPath: return "the output path is empty; give a file name"
    case .isFolder: return "is a folder; give a file name (inside it, or elsewhere)"
    case .missingFolder(_, let folder): return "the folder \(folder) does not exist; create it first or choose another path"
    case .folderIsNotAFolder(_, let folder): return "\(folder) is not a folder; choose a path inside a folder"
    case .folderNotWritable(_, let folder): return "cannot create files in \(folder) (no write permission); choose another folder"
    case .unsupportedKind(_, let kind): return "is a \(kind); nas writes only to regular files, FIFOs and character devices"
    case .tooManyLinks: return "too many levels of symbolic links (a loop?); point it at a file"
    case .writeFailed(_, let reason): return "cannot write (\(reason))"
    }
  }

  public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
}

/// Writes the files users name on the command line without replacing what is at the path.
///
/// Policy, by what the path is (symbolic links are followed first, to their final target):
/// - missing, or a regular file: written atomically, through a temporary file in the same
///   folder renamed over the target, so a reader never sees half a file and an interrupted
///   write leaves the old one. A replaced file keeps its permission bits. A symbolic link
///   stays a link: its target is what gets replaced (or created, for a dangling link).
/// - a FIFO or a character device (`/dev/stdout`, a terminal, `/dev/null`, `/dev/full`):
///   opened for writing as it is and written directly; the node is never replaced. Errors
///   of the write itself are reported (`/dev/full` gives "No space left on device"). A FIFO
///   blocks until a reader opens it, as `cat > fifo` would.
/// - a folder, a block device or a socket: refused.
///
/// The folder a file goes in must exist: callers that own their output folder (the results
/// folder beside the database) create it themselves before writing.
public enum OutputFile {
  /// Writes `data` to `path` by the policy above.
  public static func write(_ data: Data, to path: String) throws(OutputFileError) {
    switch try resolve(path) {
    case .stream(let target): try writeDirectly(data, to: target, shownAs: path)
    case .file(let target, let mode): try writeAtomically(data, to: target, keeping: mode, shownAs: path)
    }
  }

  /// Writes `text` as UTF-8 to `path` by the policy above.
  public static func write(_ text: String, to path: String) throws(OutputFileError) {
    try write(Data(text.utf8), to: path)
  }

  /// Checks, without writing anything, that `write(_:to:)` could create or replace `path`:
  /// commands call it before their work starts so a wrong path fails in a moment.
  public static func checkWritable(_ path: String) throws(OutputFileError) {
    switch try resolve(path) {
    case .stream(let target):
      guard access(target, W_OK) == 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
    case .file(let target, _):
      let folder = folderOf(target)
      guard access(folder, W_OK) == 0 else { throw .folderNotWritable(path: path, folder: folder) }
    }
  }

  /// Checks that `path` is a folder, or can be created as one (its nearest existing ancestor is
  /// a writable folder): for options naming an output folder the tool creates itself.
  public static func checkFolder(_ path: String) throws(OutputFileError) {
    guard !path.isEmpty else { throw .emptyPath }
    var current = path
    while true {
      var st = stat()
      if stat(current, &st) == 0 {
        guard isKind(st.st_mode, S_IFDIR) else { throw .folderIsNotAFolder(path: path, folder: current) }
        guard access(current, W_OK) == 0 else { throw .folderNotWritable(path: path, folder: current) }
        return
      }
      // ENOTDIR: a file stands where a folder should; walking up finds and names it.
      guard errno == ENOENT || errno == ENOTDIR else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
      let parent = folderOf(current)
      if parent == current { throw .missingFolder(path: path, folder: parent) }
      current = parent
    }
  }

  /// The start of the names of the files a run writes beside its database (`nas` for
  /// `results/nas.sqlite`), so two databases in one folder do not overwrite each other's.
  /// For a server URL (`postgres://host/study`), the database's name (`study`).
  public static func prefix(forDatabase path: String) -> String {
    if isServerURL(path) {
      let name = (URLComponents(string: path)?.path ?? "").split(separator: "/").last.map(String.init) ?? ""
      let safe = name.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
      return safe.isEmpty ? "nas" : safe
    }
    return URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
  }

  /// Where a run's files go by default: beside its database file, or `results` (relative to the
  /// working directory) for a database on a server.
  public static func defaultFolder(forDatabase path: String) -> String {
    isServerURL(path) ? "results" : URL(fileURLWithPath: path).deletingLastPathComponent().path
  }

  static func isServerURL(_ path: String) -> Bool { path.hasPrefix("postgres://") || path.hasPrefix("postgresql://") }

  // MARK: - Resolution

  /// Where the bytes go: a node written in place, or a regular file (existing with its
  /// permission bits, or missing) replaced atomically.
  enum Target: Equatable {
    case stream(String)
    case file(String, mode: mode_t?)
  }

  static func resolve(_ path: String) throws(OutputFileError) -> Target {
    guard !path.isEmpty else { throw .emptyPath }
    var st = stat()
    // stat() follows every link, including /proc's links to pipes and terminals that have no
    // path a rename could target: those are written through the given path itself.
    if stat(path, &st) == 0 {
      if isKind(st.st_mode, S_IFREG) {
        guard let real = realPath(path) else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        return .file(real, mode: st.st_mode & 0o7777)
      }
      if isKind(st.st_mode, S_IFIFO) || isKind(st.st_mode, S_IFCHR) { return .stream(path) }
      if isKind(st.st_mode, S_IFDIR) { throw .isFolder(path: path) }
      throw .unsupportedKind(path: path, kind: isKind(st.st_mode, S_IFBLK) ? "block device" : isKind(st.st_mode, S_IFSOCK) ? "socket" : "special file")
    }
    switch errno {
    case ENOENT: break
    case ELOOP: throw .tooManyLinks(path: path)
    case ENOTDIR: throw .folderIsNotAFolder(path: path, folder: firstNonFolder(in: path) ?? folderOf(path))
    default: throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
    }
    // Missing: the path itself, or the end of a dangling chain of links, is created.
    let target = try danglingTarget(path)
    let folder = folderOf(target)
    var folderStat = stat()
    guard stat(folder, &folderStat) == 0 else {
      if errno == ENOTDIR { throw .folderIsNotAFolder(path: path, folder: firstNonFolder(in: folder) ?? folder) }
      throw .missingFolder(path: path, folder: folder)
    }
    guard isKind(folderStat.st_mode, S_IFDIR) else { throw .folderIsNotAFolder(path: path, folder: folder) }
    return .file(target, mode: nil)
  }

  /// The path a missing file is created at: `path`, or where its chain of links ends.
  static func danglingTarget(_ path: String) throws(OutputFileError) -> String {
    var current = path
    for _ in 0..<40 {
      var st = stat()
      guard lstat(current, &st) == 0, isKind(st.st_mode, S_IFLNK) else { return current }
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let n = readlink(current, &buffer, buffer.count - 1)
      guard n >= 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
      let destination = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      current = destination.hasPrefix("/") ? destination : folderOf(current) + "/" + destination
    }
    throw .tooManyLinks(path: path)
  }

  /// The first leading part of `path` that exists and is not a folder (for ENOTDIR messages).
  static func firstNonFolder(in path: String) -> String? {
    var prefix = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
      prefix = prefix.isEmpty ? "/\(part)" : "\(prefix)/\(part)"
      var st = stat()
      if stat(prefix, &st) == 0, !isKind(st.st_mode, S_IFDIR) { return prefix.hasPrefix("./") ? String(prefix.dropFirst(2)) : prefix }
    }
    return nil
  }

  static func folderOf(_ path: String) -> String {
    let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    guard let slash = trimmed.lastIndex(of: "/") else { return "." }
    return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
  }

  static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  static func isKind(_ mode: mode_t, _ kind: mode_t) -> Bool { mode & S_IFMT == kind }

  // MARK: - Writing

  static func writeDirectly(_ data: Data, to target: String, shownAs path: String) throws(OutputFileError) {
    let fd = open(target, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    if let reason = writeAll(data, to: fd) { throw .writeFailed(path: path, reason: reason) }
  }

  static func writeAtomically(_ data: Data, to target: String, keeping mode: mode_t?, shownAs path: String) throws(OutputFileError) {
    let folder = folderOf(target)
    let name = String(target[target.index(after: target.lastIndex(of: "/") ?? target.startIndex)...])
    var temporary = ""
    var fd: Int32 = -1
    for attempt in 0..<100 {
      temporary = "\(folder)/.\(name).\(getpid()).\(attempt).tmp"
      fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
      if fd >= 0 || errno != EEXIST { break }
    }
    guard fd >= 0 else {
      if errno == EACCES || errno == EPERM || errno == EROFS { throw .folderNotWritable(path: path, folder: folder) }
      throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
    }
    var failure = writeAll(data, to: fd)
    if failure == nil, let mode, fchmod(fd, mode) != 0 { failure = String(cString: strerror(errno)) }
    if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
    if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
    if failure == nil, rename(temporary, target) != 0 { failure = String(cString: strerror(errno)) }
    if let failure {
      unlink(temporary)
      throw .writeFailed(path: path, reason: failure)
    }
  }

  #if canImport(Glibc)
    static let systemWrite = Glibc.write
  #else
    static let systemWrite = Darwin.write
  #endif

  /// Writes every byte, retrying short writes and interrupted calls; the error text, or nil.
  static func writeAll(_ data: Data, to fd: Int32) -> String? {
    data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) -> String? in
      var offset = 0
      while offset < buffer.count {
        let n = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return String(cString: strerror(errno))
        }
        offset += n
      }
      return nil
    }
  }
}
