# -*- coding: utf-8 -*-
# Copyright: 2026 op25bc developers
# GNU General Public License v2.0 or later, and so also version 3 (see COPYING or https://www.gnu.org/licenses/gpl-2.0.txt)
# SPDX-License-Identifier: GPL-2.0-or-later
# The router's side of op25bc_apply's deployment: the files the action plugin
# sends (the policy, its prefix files, an op25bc binary) are compared by
# SHA-256 with those in force, the changed ones staged and checked together
# with `op25bc validate --strict`, then installed under op25bc's lock, each by
# an atomic rename; and this router's systemd units, from `op25bc schedule
# --emit systemd`, installed and enabled. All in one module run: a fleet pays
# Ansible's per-task cost once a router.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import errno
import fcntl
import hashlib
import os
import shutil
import tempfile
import time

from ansible_collections.op25bc.op25b.plugins.module_utils.op25bc import last_line

DEFAULT_LOCK = '/run/op25bc/op25bc.lock'
UNITS = ('op25bc.service', 'op25bc.timer')
DEB_CACHE = '/var/cache/apt/archives'
PROGRAM = ('binary', 'deb')  # what installs op25bc itself


def sha256_of(path):
    """The file's SHA-256, or None when it is not a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    digest = hashlib.sha256()
    with os.fdopen(fd, 'rb') as f:
        if not os.path.isfile(path):
            return None
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def inside(folder, relative):
    """folder/relative, refused when relative leaves folder (as op25bc refuses it)."""
    if not relative or os.path.isabs(relative) or '\0' in relative:
        return None
    parts = relative.split('/')
    if any(part in ('', '.', '..') for part in parts) or parts[0] == '.staging':
        return None
    return os.path.join(folder, *parts)


class Deployment(object):
    """The files of one run: each entry says where it goes, its SHA-256, and
    either its bytes (base64, `content`) or a file the action plugin put on
    the router (`tmp`); an entry with neither is one the router must already
    hold."""

    def __init__(self, module, entries, policy):
        self.module = module
        self.policy = policy
        self.folder = os.path.dirname(policy) or '.'
        self.staging = os.path.join(self.folder, '.staging')
        self.entries = []
        for e in entries:
            if e['kind'] == 'binary':
                dest = module.params['binary']
                if '/' not in dest:
                    module.fail_json(msg='binary_src needs binary to be a path, not %r' % dest)
            elif e['kind'] == 'deb':
                dest = os.path.join(DEB_CACHE, os.path.basename(e['path']))
            elif e['kind'] == 'policy':
                dest = policy
            else:
                dest = inside(self.folder, e['path'])
                if dest is None:
                    module.fail_json(msg='prefix file %r is not a relative path inside the policy folder' % e['path'])
            self.entries.append(dict(e, dest=dest, stale=sha256_of(dest) != e['sha256']))

    def missing(self):
        """Files the router does not hold and the action plugin must send."""
        return [e['path'] for e in self.entries if e['stale'] and not e.get('content') and not e.get('tmp')]

    def _name(self, entry):
        """The entry's path relative to the policy's folder."""
        return os.path.basename(self.policy) if entry['kind'] == 'policy' else entry['path']

    def stale(self, kind=None):
        return [e for e in self.entries if e['stale'] and kind in (None, e['kind'])]

    def _bytes_into(self, entry, path):
        """Writes the entry's bytes to path (mode 0644, or 0755 for a binary), checked."""
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.op25bc-')
        try:
            with os.fdopen(fd, 'wb') as out:
                if entry.get('content'):
                    out.write(base64.b64decode(entry['content']))
                elif entry.get('tmp'):
                    with open(entry['tmp'], 'rb') as src:
                        shutil.copyfileobj(src, out, 1 << 20)
                else:  # unchanged: the copy in force
                    with open(entry['dest'], 'rb') as src:
                        shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o755 if entry['kind'] == 'binary' else 0o644)
            if sha256_of(tmp) != entry['sha256']:
                self.module.fail_json(msg='%s: the bytes received do not match their SHA-256' % entry['path'])
            os.rename(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def install_program(self):
        """Installs op25bc itself first, so the policy is checked by the new
        program: a binary by a rename; a .deb kept in apt's cache and
        installed with apt-get when it differs from the cached one or op25bc
        is not installed (a failed install drops the cached copy, so the next
        run tries again)."""
        changed = []
        for e in self.entries:
            if e['kind'] not in PROGRAM:
                continue
            if e['kind'] == 'deb' and not e['stale'] and package_installed(self.module):
                continue
            if e['kind'] == 'binary' and not e['stale']:
                continue
            changed.append(e['dest'])
            if self.module.check_mode:
                self._check_with(e)
                continue
            if e['stale']:
                self._bytes_into(e, e['dest'])
            if e['kind'] == 'deb':
                rc, out, err = self.module.run_command(
                    ['apt-get', 'install', '-y', '--allow-downgrades', e['dest']],
                    environ_update={'DEBIAN_FRONTEND': 'noninteractive'})
                if rc != 0:
                    os.unlink(e['dest'])
                    self.module.fail_json(msg='apt-get could not install %s: %s' % (e['path'], last_line(err or out)),
                                          rc=rc, stdout=out, stderr=err)
        return changed

    def _check_with(self, entry):
        """Check mode runs the op25bc that a real run would install: a binary
        from where the action plugin put it; a package only once installed."""
        if entry['kind'] == 'binary':
            os.chmod(entry['tmp'], 0o700)
            self.module.params['binary'] = entry['tmp']
        elif not package_installed(self.module):
            self.module.exit_json(changed=True, committed=False, deployed=[entry['dest']], units_changed=[],
                                  msg='op25bc would be installed from %s; until it is, check mode cannot '
                                      'check the policy' % entry['path'])

    def stage(self):
        """Writes the policy and its prefix files, all of them, into a fresh
        .staging folder, to be checked together; returns the staged policy."""
        if os.path.islink(self.staging) or os.path.isfile(self.staging):
            os.unlink(self.staging)
        elif os.path.isdir(self.staging):
            shutil.rmtree(self.staging)
        os.makedirs(self.staging, mode=0o755)
        staged_policy = None
        for e in self.entries:
            if e['kind'] in PROGRAM:
                continue
            path = inside(self.staging, self._name(e))
            self._bytes_into(e, path)
            if e['kind'] == 'policy':
                staged_policy = path
        return staged_policy

    def install(self, lock):
        """Installs the changed files, prefix files first and the policy last,
        each by a rename, while holding op25bc's lock so no scheduled run reads
        a policy and prefix files that do not belong together."""
        changed = [e for e in self.stale() if e['kind'] not in PROGRAM]
        if not changed:
            return []
        with OpLock(self.module, lock or DEFAULT_LOCK):
            for e in sorted(changed, key=lambda e: e['kind'] == 'policy'):
                staged = inside(self.staging, self._name(e))
                self._bytes_into(dict(e, content=None, tmp=staged), e['dest'])
        return [e['dest'] for e in changed]


class OpLock(object):
    """op25bc's own lock (flock on its lock file, opened as op25bc opens it)."""

    def __init__(self, module, path, wait=30.0):
        self.module, self.path, self.wait, self.fd = module, path, wait, None

    def __enter__(self):
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o755, exist_ok=True)
            self.fd = os.open(self.path, flags, 0o600)
        except OSError as e:
            self.module.fail_json(msg='cannot open lock file %s: %s' % (self.path, e.strerror))
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as e:
                if e.errno not in (errno.EWOULDBLOCK, errno.EINTR) or time.monotonic() >= deadline:
                    os.close(self.fd)
                    self.module.fail_json(msg='cannot lock %s: %s' % (self.path, e.strerror))
            time.sleep(0.05)

    def __exit__(self, *exc):
        os.close(self.fd)


def install_units(module, op25bc, policy, units):
    """Writes this router's units with `op25bc schedule --emit systemd`,
    installs those that differ, and enables and starts them; returns what
    changed (unit paths, and 'enabled'/'started')."""
    p = module.params
    scratch = tempfile.mkdtemp(prefix='op25bc-units-')
    try:
        cmd = [op25bc, 'schedule', policy, '--emit', 'systemd', '--bin', op25bc, '-o', scratch]
        for option in ('router', 'state'):
            if p[option]:
                cmd += ['--' + option, p[option]]
        if units['metrics']:
            cmd += ['--metrics', units['metrics']]
        cmd += ['--backend', p['backend']]
        rc, out, err = module.run_command(cmd)
        if rc != 0:
            module.fail_json(msg='op25bc schedule failed: %s' % (err.strip() or 'exit status %d' % rc), cmd=cmd, rc=rc)
        changed = []
        os.makedirs(units['dir'], mode=0o755, exist_ok=True)
        for name in UNITS:
            new, dest = os.path.join(scratch, name), os.path.join(units['dir'], name)
            if sha256_of(new) != sha256_of(dest):
                os.chmod(new, 0o644)
                shutil.move(new, dest + '.op25bc-new')
                os.rename(dest + '.op25bc-new', dest)
                changed.append(dest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not units['enable']:
        return changed
    root = units['systemd_root']
    systemctl = module.get_bin_path('systemctl', required=True)
    base = [systemctl] + (['--root', root] if root else [])
    if changed and not root:
        run(module, [systemctl, 'daemon-reload'])
    # Both units: the service applies the policy at boot, before any
    # interface is up; the timer applies each boundary.
    out = run(module, base + ['enable'] + list(UNITS))
    if 'Created symlink' in out:
        changed.append('enabled')
    if not root:
        active = module.run_command([systemctl, 'is-active', '--quiet', 'op25bc.timer'])[0] == 0
        if not active or changed:
            run(module, [systemctl, 'restart' if active else 'start', 'op25bc.timer'])
            changed.append('restarted' if active else 'started')
    return changed


def install_package(module):
    """op25bc from the package repositories when it is not installed (as
    `apt: name=op25bc state=present`, without its own task); returns what
    changed. Check mode cannot run a program that is not there yet."""
    if package_installed(module):
        return []
    if module.check_mode:
        module.exit_json(changed=True, committed=False, deployed=['op25bc (package)'], units_changed=[],
                         msg='op25bc would be installed from the package repositories; until it is, '
                             'check mode cannot check the policy')
    rc, out, err = module.run_command(['apt-get', 'install', '-y', 'op25bc'],
                                      environ_update={'DEBIAN_FRONTEND': 'noninteractive'})
    if rc != 0:
        module.fail_json(msg='apt-get could not install op25bc: %s' % last_line(err or out),
                         rc=rc, stdout=out, stderr=err)
    return ['op25bc (package)']


def package_installed(module):
    rc, out, err = module.run_command(['dpkg-query', '-W', '-f', '${Status}', 'op25bc'])
    return rc == 0 and out.strip() == 'install ok installed'


def run(module, cmd):
    rc, out, err = module.run_command(cmd)
    if rc != 0:
        module.fail_json(msg='%s failed: %s' % (' '.join(cmd), err.strip() or 'exit status %d' % rc), cmd=cmd, rc=rc)
    return out + err
