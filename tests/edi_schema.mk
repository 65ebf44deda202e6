## edi_schema tests (see the module header).
