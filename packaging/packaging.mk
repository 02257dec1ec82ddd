# Distribution packaging (issue 8): `make deb`, `make rpm`, and the files a
# package installs beyond `make install` (`make install-packaging`).
DEB_DEPS += debhelper dpkg-dev fakeroot lintian rpm rpmlint systemd man-db

SYSCONFDIR     ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR    ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR    ?= $(PREFIX)/lib/tmpfiles.d
PKG_TREE       := build/pkgtree/vfiobuf-$(VERSION)

.PHONY: install-packaging deb rpm pkgtree

install-packaging:
	install -D -m 0644 packaging/systemd/vfiobuf.socket $(DESTDIR)$(SYSTEMDUNITDIR)/vfiobuf.socket
	install -D -m 0644 packaging/systemd/vfiobuf.service $(DESTDIR)$(SYSTEMDUNITDIR)/vfiobuf.service
	install -D -m 0644 packaging/systemd/vfiobuf-bind.service $(DESTDIR)$(SYSTEMDUNITDIR)/vfiobuf-bind.service
	install -D -m 0644 packaging/systemd/vfiobuf.sysusers $(DESTDIR)$(SYSUSERSDIR)/vfiobuf.conf
	install -D -m 0644 packaging/systemd/vfiobuf.tmpfiles $(DESTDIR)$(TMPFILESDIR)/vfiobuf.conf
	install -D -m 0644 packaging/serve.conf $(DESTDIR)$(SYSCONFDIR)/vfiobuf/serve.conf

# The source tree as a package build sees it: the files git knows (tracked,
# or new and not ignored), as they are in the working tree.
pkgtree:
	rm -rf build/pkgtree
	mkdir -p $(PKG_TREE)
	git ls-files -z --cached --others --exclude-standard | \
		xargs -0 -I{} sh -c 'test -e "{}" && cp --parents -P "{}" $(PKG_TREE)/'

# Debian: dpkg-buildpackage on a copy with packaging/debian as debian/ and
# the systemd files where debhelper registers them.
deb: pkgtree
	cp -r packaging/debian $(PKG_TREE)/debian
	cp packaging/systemd/vfiobuf.socket $(PKG_TREE)/debian/vfiobuf.socket
	cp packaging/systemd/vfiobuf.service $(PKG_TREE)/debian/vfiobuf.service
	cp packaging/systemd/vfiobuf-bind.service $(PKG_TREE)/debian/vfiobuf.vfiobuf-bind.service
	cp packaging/systemd/vfiobuf.sysusers $(PKG_TREE)/debian/vfiobuf.sysusers
	cp packaging/systemd/vfiobuf.tmpfiles $(PKG_TREE)/debian/vfiobuf.tmpfiles
	cd $(PKG_TREE) && dpkg-buildpackage -us -uc -b
	rm -rf build/deb && mkdir -p build/deb
	mv build/pkgtree/*.deb build/pkgtree/*.buildinfo build/pkgtree/*.changes build/deb/
	@ls build/deb/*.deb

# RPM: rpmbuild from a tarball of the same tree (--nodeps: Debian has no
# -devel packages of the BuildRequires).
rpm: pkgtree
	rm -rf build/rpm && mkdir -p build/rpm/SOURCES
	tar -C build/pkgtree -czf build/rpm/SOURCES/vfiobuf-$(VERSION).tar.gz vfiobuf-$(VERSION)
	rpmbuild --define "_topdir $(CURDIR)/build/rpm" --define "vb_version $(VERSION)" \
		--nodeps -bb packaging/rpm/vfiobuf.spec
	@ls build/rpm/RPMS/*/*.rpm
