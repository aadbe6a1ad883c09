// SPDX-License-Identifier: GPL-2.0-or-later
// The one way op25bc writes a file: all or nothing, and never through a link
// someone planted. The bytes go to a new file beside the target (mkstemp:
// O_EXCL, a name nobody can predict), created with an explicit mode whatever
// the umask, fsynced, renamed over the target, and the folder fsynced. The
// temporary files of a writer killed before its rename, a minute old or
// more, are removed by the next write of the same target.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "op25bc/diag/result.h"

namespace op25bc::io {

// A failure says what went wrong, for the operator. A target that exists and
// is not a regular file (a device such as /dev/null, a folder, a FIFO) is
// refused rather than replaced.
Result<Done> write_atomically(const std::string& path, std::string_view bytes, mode_t mode);

// A folder for op25bc's output, made with `mode` whatever the umask.
Result<Done> make_folder(const std::string& path, mode_t mode);

}  // namespace op25bc::io
