// A small WASI preview1 host for the page's Programs view: enough for a C program built with
// wasi-libc to start, read its arguments and environment, print to stdout and stderr, and read
// and write files in an in-memory file system with one directory, preopened as "/". Every other
// preview1 call the module imports answers ENOSYS. It holds no state between runs: one Wasi is
// one run.

const SUCCESS = 0;
const EBADF = 8;
const EINVAL = 28;
const EISDIR = 31;
const ENOENT = 44;
const ENOSYS = 52;
const ENOTDIR = 54;
const EEXIST = 20;
const ESPIPE = 70;

const FILETYPE_CHARACTER_DEVICE = 2;
const FILETYPE_DIRECTORY = 3;
const FILETYPE_REGULAR_FILE = 4;
const OFLAGS_CREAT = 1;
const OFLAGS_DIRECTORY = 2;
const OFLAGS_EXCL = 4;
const OFLAGS_TRUNC = 8;
const FDFLAGS_APPEND = 1;
const WHENCE = { SET: 0, CUR: 1, END: 2 };
const ALL_RIGHTS = 0x1fffffffn;
const PREOPEN = '/';

/** Thrown by proc_exit to end the run: Wasi.start() catches it and returns its code. */
class Exit {
  constructor(code) {
    this.code = code;
  }
}

/**
 * One program run. `files` maps a name in the preopened directory to its bytes; the program may
 * create, overwrite and append to files, and `files` then holds what it wrote.
 */
export class Wasi {
  #memory = null;
  #fds = new Map(); // fd -> { kind: 'stdio' | 'dir' | 'file', name?, at?, append? }
  #nextFd = 4;
  #encoder = new TextEncoder();

  /**
   * @param {{ args: string[], env?: Record<string, string>, files?: Map<string, Uint8Array>,
   *   stdout: (bytes: Uint8Array) => void, stderr: (bytes: Uint8Array) => void }} options
   *   args: argv, the program's name first
   */
  constructor({ args, env = {}, files = new Map(), stdout, stderr }) {
    this.args = args;
    this.env = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    this.files = files;
    this.out = { 1: stdout, 2: stderr };
    this.#fds.set(0, { kind: 'stdio' });
    this.#fds.set(1, { kind: 'stdio' });
    this.#fds.set(2, { kind: 'stdio' });
    this.#fds.set(3, { kind: 'dir' });
  }

  /**
   * The wasi_snapshot_preview1 imports `module` asks for: the calls below, and a function that
   * answers ENOSYS for each other one.
   * @param {WebAssembly.Module} module
   */
  imports(module) {
    const calls = {};
    for (const i of WebAssembly.Module.imports(module)) {
      if (i.module !== 'wasi_snapshot_preview1' || i.kind !== 'function') continue;
      const call = this.#calls[i.name];
      calls[i.name] = call ? (...a) => call.apply(this, a) : () => ENOSYS;
    }
    return calls;
  }

  /** Runs the instance's _start; returns the exit status. A trap is thrown as it is. */
  start(instance) {
    this.#memory = instance.exports.memory;
    try {
      instance.exports._start();
      return 0;
    } catch (error) {
      if (error instanceof Exit) return error.code;
      throw error;
    }
  }

  get #view() {
    return new DataView(this.#memory.buffer);
  }

  get #bytes() {
    return new Uint8Array(this.#memory.buffer);
  }

  #string(pointer, length) {
    return new TextDecoder().decode(this.#bytes.slice(pointer, pointer + length));
  }

  /** Writes strings NUL-terminated at `buffer`, their addresses at `pointers`. */
  #putStrings(strings, pointers, buffer) {
    const view = this.#view;
    const bytes = this.#bytes;
    for (const s of strings) {
      view.setUint32(pointers, buffer, true);
      pointers += 4;
      const encoded = this.#encoder.encode(s);
      bytes.set(encoded, buffer);
      bytes[buffer + encoded.length] = 0;
      buffer += encoded.length + 1;
    }
    return SUCCESS;
  }

  #putSizes(strings, count, size) {
    const view = this.#view;
    view.setUint32(count, strings.length, true);
    view.setUint32(size, strings.reduce((n, s) => n + this.#encoder.encode(s).length + 1, 0),
      true);
    return SUCCESS;
  }

  /** The iovecs at `iovs` as { pointer, length } pairs. */
  #iovecs(iovs, count) {
    const view = this.#view;
    const out = [];
    for (let i = 0; i < count; i++) {
      out.push({ pointer: view.getUint32(iovs + 8 * i, true),
        length: view.getUint32(iovs + 8 * i + 4, true) });
    }
    return out;
  }

  #file(fd) {
    const f = this.#fds.get(fd);
    return f?.kind === 'file' ? f : null;
  }

  #calls = {
    args_sizes_get(count, size) { return this.#putSizes(this.args, count, size); },
    args_get(pointers, buffer) { return this.#putStrings(this.args, pointers, buffer); },
    environ_sizes_get(count, size) { return this.#putSizes(this.env, count, size); },
    environ_get(pointers, buffer) { return this.#putStrings(this.env, pointers, buffer); },

    clock_time_get(id, precision, time) {
      const ns = id === 0 ? BigInt(Date.now()) * 1000000n
        : BigInt(Math.round(performance.now() * 1e6));
      this.#view.setBigUint64(time, ns, true);
      return SUCCESS;
    },
    clock_res_get(id, resolution) {
      this.#view.setBigUint64(resolution, 1000n, true);
      return SUCCESS;
    },
    random_get(buffer, length) {
      for (let at = 0; at < length; at += 65536) { // getRandomValues' limit per call, bytes
        crypto.getRandomValues(new Uint8Array(this.#memory.buffer, buffer + at,
          Math.min(65536, length - at)));
      }
      return SUCCESS;
    },
    proc_exit(code) { throw new Exit(code); },
    sched_yield() { return SUCCESS; },

    fd_write(fd, iovs, count, written) {
      const f = this.#fds.get(fd);
      if (!f || f.kind === 'dir' || fd === 0) return EBADF;
      const parts = this.#iovecs(iovs, count)
        .map(({ pointer, length }) => this.#bytes.slice(pointer, pointer + length));
      const total = parts.reduce((n, p) => n + p.length, 0);
      if (f.kind === 'stdio') {
        const joined = new Uint8Array(total);
        let at = 0;
        for (const p of parts) {
          joined.set(p, at);
          at += p.length;
        }
        if (total) this.out[fd](joined);
      } else {
        const old = this.files.get(f.name);
        const from = f.append ? old.length : f.at;
        const grown = new Uint8Array(Math.max(old.length, from + total));
        grown.set(old);
        let at = from;
        for (const p of parts) {
          grown.set(p, at);
          at += p.length;
        }
        this.files.set(f.name, grown);
        f.at = at;
      }
      this.#view.setUint32(written, total, true);
      return SUCCESS;
    },
    fd_read(fd, iovs, count, read) {
      const f = this.#fds.get(fd);
      if (!f || f.kind === 'dir') return EBADF;
      let total = 0;
      if (f.kind === 'file') { // stdin reads nothing: end of file at once
        const data = this.files.get(f.name);
        for (const { pointer, length } of this.#iovecs(iovs, count)) {
          const n = Math.max(0, Math.min(length, data.length - f.at));
          this.#bytes.set(data.subarray(f.at, f.at + n), pointer);
          f.at += n;
          total += n;
          if (n < length) break;
        }
      }
      this.#view.setUint32(read, total, true);
      return SUCCESS;
    },
    fd_seek(fd, offset, whence, result) {
      const f = this.#fds.get(fd);
      if (!f) return EBADF;
      if (f.kind !== 'file') return ESPIPE;
      const base = whence === WHENCE.SET ? 0 : whence === WHENCE.CUR ? f.at
        : whence === WHENCE.END ? this.files.get(f.name).length : NaN;
      const to = base + Number(offset);
      if (!(to >= 0)) return EINVAL;
      f.at = to;
      this.#view.setBigUint64(result, BigInt(to), true);
      return SUCCESS;
    },
    fd_tell(fd, result) {
      const f = this.#file(fd);
      if (!f) return EBADF;
      this.#view.setBigUint64(result, BigInt(f.at), true);
      return SUCCESS;
    },
    fd_close(fd) {
      if (!this.#fds.has(fd)) return EBADF;
      this.#fds.delete(fd);
      return SUCCESS;
    },
    fd_sync() { return SUCCESS; },
    fd_datasync() { return SUCCESS; },
    fd_fdstat_get(fd, stat) {
      const f = this.#fds.get(fd);
      if (!f) return EBADF;
      const view = this.#view;
      const type = { stdio: FILETYPE_CHARACTER_DEVICE, dir: FILETYPE_DIRECTORY,
        file: FILETYPE_REGULAR_FILE }[f.kind];
      view.setUint8(stat, type);
      view.setUint16(stat + 2, f.append ? FDFLAGS_APPEND : 0, true);
      // stdio lacks the seek and tell rights, so isatty() is true and stdout is line-buffered
      view.setBigUint64(stat + 8, f.kind === 'stdio' ? 0x40n | 0x2n : ALL_RIGHTS, true);
      view.setBigUint64(stat + 16, ALL_RIGHTS, true);
      return SUCCESS;
    },
    fd_fdstat_set_flags(fd) { return this.#fds.has(fd) ? SUCCESS : EBADF; },
    fd_filestat_get(fd, stat) {
      const f = this.#fds.get(fd);
      if (!f) return EBADF;
      const size = f.kind === 'file' ? this.files.get(f.name).length : 0;
      const type = f.kind === 'file' ? FILETYPE_REGULAR_FILE
        : f.kind === 'dir' ? FILETYPE_DIRECTORY : FILETYPE_CHARACTER_DEVICE;
      this.#putFilestat(stat, type, size);
      return SUCCESS;
    },
    fd_prestat_get(fd, prestat) {
      if (this.#fds.get(fd)?.kind !== 'dir') return EBADF;
      this.#view.setUint8(prestat, 0); // a directory
      this.#view.setUint32(prestat + 4, this.#encoder.encode(PREOPEN).length, true);
      return SUCCESS;
    },
    fd_prestat_dir_name(fd, pointer, length) {
      if (this.#fds.get(fd)?.kind !== 'dir') return EBADF;
      this.#bytes.set(this.#encoder.encode(PREOPEN).subarray(0, length), pointer);
      return SUCCESS;
    },
    path_open(dirFd, dirFlags, path, pathLength, oflags, rightsBase, rightsInheriting, fdflags,
      opened) {
      if (this.#fds.get(dirFd)?.kind !== 'dir') return EBADF;
      const name = this.#name(path, pathLength);
      if (name === null) return ENOENT;
      if (name === '') {
        if (oflags & (OFLAGS_CREAT | OFLAGS_TRUNC)) return EISDIR;
        return this.#open({ kind: 'dir' }, opened);
      }
      if (oflags & OFLAGS_DIRECTORY) return this.files.has(name) ? ENOTDIR : ENOENT;
      const exists = this.files.has(name);
      if (!exists && !(oflags & OFLAGS_CREAT)) return ENOENT;
      if (exists && oflags & OFLAGS_CREAT && oflags & OFLAGS_EXCL) return EEXIST;
      if (!exists || oflags & OFLAGS_TRUNC) this.files.set(name, new Uint8Array(0));
      return this.#open({ kind: 'file', name, at: 0, append: Boolean(fdflags & FDFLAGS_APPEND) },
        opened);
    },
    path_filestat_get(dirFd, flags, path, pathLength, stat) {
      if (this.#fds.get(dirFd)?.kind !== 'dir') return EBADF;
      const name = this.#name(path, pathLength);
      if (name === '') this.#putFilestat(stat, FILETYPE_DIRECTORY, 0);
      else if (name !== null && this.files.has(name)) {
        this.#putFilestat(stat, FILETYPE_REGULAR_FILE, this.files.get(name).length);
      } else return ENOENT;
      return SUCCESS;
    },
  };

  /** A path inside the one directory as a file name ('' for the directory), or null. */
  #name(path, length) {
    const parts = this.#string(path, length).split('/').filter((p) => p !== '' && p !== '.');
    if (parts.length > 1) return null;
    return parts[0] ?? '';
  }

  #open(entry, opened) {
    const fd = this.#nextFd++;
    this.#fds.set(fd, entry);
    this.#view.setUint32(opened, fd, true);
    return SUCCESS;
  }

  #putFilestat(stat, type, size) {
    const view = this.#view;
    for (let at = 0; at < 64; at += 8) view.setBigUint64(stat + at, 0n, true);
    view.setUint8(stat + 16, type);
    view.setBigUint64(stat + 24, 1n, true);
    view.setBigUint64(stat + 32, BigInt(size), true);
  }
}
