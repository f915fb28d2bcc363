package ca

import "strings"

// installTemplate is the text InstallInstructions fills with the
// certificate path in place of {{cert}}.
const installTemplate = `The interception CA certificate is {{cert}}.
Clients must trust it before the proxy can inspect their HTTPS traffic.
Distribute only this certificate (ca.crt). Keep ca.key SECRET: anyone who
has it can impersonate every web site to every client that trusts the CA.
Keep it readable only by the proxy's user (mode 0600), back it up offline,
and never copy it to clients.

Debian / Ubuntu:
  sudo cp {{cert}} /usr/local/share/ca-certificates/dlpproxy-ca.crt
  sudo update-ca-certificates

RHEL / CentOS / Fedora:
  sudo cp {{cert}} /etc/pki/ca-trust/source/anchors/dlpproxy-ca.crt
  sudo update-ca-trust

macOS:
  sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {{cert}}

Windows (copy {{cert}} to the machine as ca.crt; elevated prompt):
  certutil -addstore Root ca.crt
Windows (domain): Group Policy Management > Computer Configuration > Policies >
  Windows Settings > Security Settings > Public Key Policies >
  Trusted Root Certification Authorities > Import ca.crt

Chrome / Chromium / Edge on Linux (they read the user's NSS database, not the
system store above; certutil is in libnss3-tools / nss-tools). Chromium 146
and later keep it in $HOME/.local/share/pki/nssdb, but use $HOME/.pki/nssdb
where that exists: as each user, add the CA to the one in use (an older
browser that has never run: start it once first):
  db=$HOME/.pki/nssdb; [ -d "$db" ] || db=$HOME/.local/share/pki/nssdb
  [ -f "$db/cert9.db" ] || { mkdir -p "$db" && certutil -N --empty-password -d "sql:$db"; }   # if the browser has not made it yet
  certutil -A -n dlpproxy-ca -t "C,," -i {{cert}} -d "sql:$db"
  (On Windows and macOS they use the operating system's store.)

Firefox (own certificate store):
  Windows/macOS enterprise policy (policies.json), trusting the OS store:
    {"policies": {"Certificates": {"ImportEnterpriseRoots": true}}}
  Linux enterprise policy (/etc/firefox/policies/policies.json):
    {"policies": {"Certificates": {"Install": ["{{cert}}"]}}}
  or per profile: certutil -A -n dlpproxy-ca -t "C,," -i {{cert}} -d sql:$HOME/.mozilla/firefox/<profile>

Java (per JDK, default store password changeit):
  keytool -importcert -noprompt -cacerts -alias dlpproxy-ca -file {{cert}}

Per tool:
  curl --cacert {{cert}} https://example.com/   # a quick test (replaces curl's roots)
  # Python requests: point at the system bundle once the CA is in it (a
  # bundle of only ca.crt would break hosts the proxy does not intercept):
  export REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt   # RHEL: /etc/pki/tls/certs/ca-bundle.crt
  export NODE_EXTRA_CA_CERTS={{cert}}   # Node.js (added to its built-in roots)
`

// InstallInstructions returns the text `dlpproxy ca init` prints: how to
// make common operating systems, browsers and runtimes trust the CA
// certificate at certPath, and a warning to keep ca.key secret.
func InstallInstructions(certPath string) string {
	return strings.ReplaceAll(installTemplate, "{{cert}}", certPath)
}
