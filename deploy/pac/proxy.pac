// Proxy auto-configuration for dlpproxy clients. Serve it over HTTP with
// Content-Type application/x-ns-proxy-autoconfig (or push it by GPO/MDM)
// and replace dlpproxy.example.internal with the load balancer's name.
//
// Internal destinations go DIRECT; everything else goes through dlpproxy.
// There is deliberately no "; DIRECT" fallback: if the proxy is down,
// egress fails closed instead of silently skipping DLP. Add "; DIRECT" only
// if availability matters more than inspection for this client group.
function FindProxyForURL(url, host) {
  host = host.toLowerCase();

  // Local names and the company's own domains.
  if (isPlainHostName(host) ||
      dnsDomainIs(host, ".example.internal") ||
      host === "localhost") {
    return "DIRECT";
  }

  // Private and loopback address literals. No DNS lookup here: resolving
  // every host in the PAC file slows browsers down.
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host) &&
      (isInNet(host, "10.0.0.0", "255.0.0.0") ||
       isInNet(host, "172.16.0.0", "255.240.0.0") ||
       isInNet(host, "192.168.0.0", "255.255.0.0") ||
       isInNet(host, "127.0.0.0", "255.0.0.0"))) {
    return "DIRECT";
  }

  return "PROXY dlpproxy.example.internal:3128";
}
