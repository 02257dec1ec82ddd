# The published JSON schemas and vfiobuf-json(7): installed with `make
# install` (these rules add to its prerequisites), removed by `make uninstall`.

SCHEMADIR ?= $(DATADIR)/vfiobuf/schema

.PHONY: install-schema uninstall-schema

install: install-schema
uninstall: uninstall-schema

install-schema:
	install -d $(DESTDIR)$(SCHEMADIR)
	install -m 0644 schema/*.schema.json $(DESTDIR)$(SCHEMADIR)/
	install -D -m 0644 man/vfiobuf-json.7 $(DESTDIR)$(MANDIR)/man7/vfiobuf-json.7

uninstall-schema:
	for s in schema/*.schema.json; do rm -f $(DESTDIR)$(SCHEMADIR)/$$(basename $$s); done
	-rmdir $(DESTDIR)$(SCHEMADIR) $(DESTDIR)$(DATADIR)/vfiobuf 2>/dev/null
	rm -f $(DESTDIR)$(MANDIR)/man7/vfiobuf-json.7
