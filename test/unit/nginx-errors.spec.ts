import { nginxTestAdvice } from '../../src/mta-sts/adapters/nginx/nginx-errors';

/** What nginx 1.22's `nginx -t` prints for each mistake (captured from real runs). */
const failed = (line: string) =>
  `2026/11/26 10:41:21 [emerg] 13496#13496: ${line}\nnginx: configuration file /etc/nginx/nginx.conf test failed\n`;

describe('nginxTestAdvice', () => {
  it('names the setting to change when another server block is already the default on 443', () => {
    expect(
      nginxTestAdvice(failed('a duplicate default server for 0.0.0.0:443 in /etc/nginx/sites-enabled/shop:12')),
    ).toBe(
      'Another server block is already the default_server for 0.0.0.0:443 (/etc/nginx/sites-enabled/shop:12). ' +
        'Set MTA_STS_NGINX_REJECT_UNKNOWN_SNI=false (the module option nginx.rejectUnknownSni) so the module adds no catch-all of its own, or remove default_server from that block.',
    );
  });

  it('names the setting when nginx.conf sets the hash bucket size too', () => {
    expect(
      nginxTestAdvice(failed('"server_names_hash_bucket_size" directive is duplicate in /etc/nginx/nginx.conf:3')),
    ).toMatch(/^nginx\.conf already sets server_names_hash_bucket_size: set MTA_STS_NGINX_HASH_BUCKET_SIZE=0/);
  });

  it('says the bucket size is too small for a long name', () => {
    expect(
      nginxTestAdvice(
        failed('could not build server_names_hash, you should increase server_names_hash_bucket_size: 128'),
      ),
    ).toMatch(/set MTA_STS_NGINX_HASH_BUCKET_SIZE=512/);
  });

  it('names the file nginx may not read', () => {
    expect(
      nginxTestAdvice(
        failed('open() "/var/lib/mta-sts/certs/example.com/certificate.pem" failed (13: Permission denied)'),
      ),
    ).toBe(
      'nginx cannot read /var/lib/mta-sts/certs/example.com/certificate.pem: permission denied. Every directory on the way must be traversable by nginx (chmod o+x), and the file readable by the user that reads it.',
    );
  });

  it('has nothing to add to other errors', () => {
    expect(
      nginxTestAdvice(failed('unknown directive "this_is_not_a_directive" in /etc/nginx/conf.d/x.conf:1')),
    ).toBeUndefined();
  });
});
