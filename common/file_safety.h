// SPDX-License-Identifier: Apache-2.0
// Which files and directories cspwatch trusts (issue 15): a secret it reads (client secret,
// private key, certificate, refresh token, SMTP password, HTTP token) and a directory it writes
// in (the database's, the mail directory, the refresh token's). One rule for all of them:
//
//   1. nobody but its owner and root can write it: no group or world write bit, except on a
//      directory with the sticky bit (like /tmp, where others cannot rename or remove what is
//      not theirs);
//   2. its owner is the user running the command, or root.
//
// Whoever can write a directory can plant a symbolic link in it for the next writer to follow,
// or replace a file in it; whoever owns a file or a directory can change its mode. So root uses
// root's files; the service account (cspwatch) uses its own and root's (/etc/cspwatch,
// $CREDENTIALS_DIRECTORY, which systemd makes); and root running a command on the service
// account's /var/lib/cspwatch is refused, because that account could have planted links there
// for root to follow: run such commands as the service's user (runuser -u cspwatch -- cspwatch
// ..., docs/operations.md).
//
// A path that cannot be examined (missing, unreachable) passes: the read or open that follows
// reports it with its own reason. A refusal is an ioError whose message names the path, its
// owner, group and mode, what is wrong, and the command that fixes it. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace cspwatch {

struct FileCheckOptions {
  // false: only who else can write is checked, not who owns it. For `config check`, which root
  // runs on the files of a service that runs as another user.
  bool check_owner = true;
};

// A file to read a secret from. `what` names it for people: "the SMTP password file".
Status checkSecretFile(const std::string& path, const std::string& what,
                       FileCheckOptions options = {});
// A directory to write in: "the mail directory (alerts.file.dir)".
Status checkPrivateDirectory(const std::string& path, const std::string& what,
                             FileCheckOptions options = {});

// The command the refusals' "(runuser -u OWNER -- cspwatch ...)" repeats, so the operator can
// copy the line: `args` is the command line after the program's name, shell-quoted where it
// needs to be. Set by the CLI once parsed, before any thread starts; until then "cspwatch ...".
void setCommandLineForHints(const std::vector<std::string>& args);

// The one rule for every secret read from a file (client secret, refresh token, SMTP password,
// HTTP token): the file's text without the line ends at its end (LF or CR LF, as editors and
// `echo` leave them); everything else, spaces included, is the secret.
std::string secretText(std::string file_text);

// checkSecretFile(), then the secret the file holds (secretText); readWholeFile's errors
// otherwise.
Result<std::string> readSecretFile(const std::string& path, const std::string& what);

// Who besides its owner can read the secret at `path`: "its group adm and all users (owner
// root, group adm, mode 0644)", or "" when nobody else can, when it cannot be examined, or when
// it lies under $CREDENTIALS_DIRECTORY (systemd's private copy, which only the service's user
// can reach; its group bits show an ACL's mask, not a group).
std::string secretReadableByOthers(const std::string& path);

}  // namespace cspwatch
