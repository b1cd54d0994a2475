/**
 * What to do about the set-up mistakes `nginx -t` reports most often on a server that
 * already serves other sites, in the words of the settings that fix them. Undefined when
 * the message is none of these; the full output is kept as the error's detail anyway.
 */
export function nginxTestAdvice(stderr: string): string | undefined {
  const duplicate = /a duplicate default server for (\S+) in (\S+)/.exec(stderr);
  if (duplicate) {
    return (
      `Another server block is already the default_server for ${duplicate[1]} (${duplicate[2]}). ` +
      'Set MTA_STS_NGINX_REJECT_UNKNOWN_SNI=false (the module option nginx.rejectUnknownSni) so the module adds no catch-all of its own, or remove default_server from that block.'
    );
  }
  if (/"server_names_hash_bucket_size" directive is duplicate/.test(stderr)) {
    return 'nginx.conf already sets server_names_hash_bucket_size: set MTA_STS_NGINX_HASH_BUCKET_SIZE=0 (the module option nginx.serverNamesHashBucketSize) to leave it to nginx.conf, and make it at least 512 there.';
  }
  if (/could not build server_names_hash, you should increase server_names_hash_bucket_size/.test(stderr)) {
    return 'A policy host name is longer than server_names_hash_bucket_size allows: set MTA_STS_NGINX_HASH_BUCKET_SIZE=512, or raise it in nginx.conf if the module leaves it alone.';
  }
  const denied = /open\(\) "([^"]+)" failed \(13: Permission denied\)/.exec(stderr);
  if (denied) {
    return `nginx cannot read ${denied[1]}: permission denied. Every directory on the way must be traversable by nginx (chmod o+x), and the file readable by the user that reads it.`;
  }
  return undefined;
}
