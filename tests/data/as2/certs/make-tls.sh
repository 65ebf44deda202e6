#!/bin/sh
# The TLS test certificates of check_as2 and check_as2_interop (https endpoint and
# sender): self-signed RSA-2048 for 127.0.0.1 / localhost, and another one no test
# trusts for the endpoint. Run in this folder to make them again (100 years).
set -e
for n in tls-localhost tls-other; do
	openssl req -x509 -newkey rsa:2048 -sha256 -days 36500 -nodes \
		-keyout "$n.key" -out "$n.crt" -subj "/O=edigw test/CN=$n" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
	chmod 600 "$n.key"
done
