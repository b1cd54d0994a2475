/**
 * The module's options in three parts: what a host passes (`options/module-options.ts`,
 * with every default), the checked and completed form (`options/resolved-options.ts`,
 * made by the pure resolver in `options/resolve-options.ts`), and the facts about this
 * machine the resolver reads once at start-up (`options/host-facts.ts`).
 */
export {
  LETSENCRYPT_PRODUCTION,
  LETSENCRYPT_STAGING,
  NGINX_HASH_BUCKET_SIZE,
  type ClusterOptions,
  type MtaStsModuleOptions,
  type NginxLayout,
  type PageRole,
} from './options/module-options';
export type { ResolvedMtaStsOptions } from './options/resolved-options';
export type { ResolvedClusterOptions } from './options/resolve-cluster';
export { resolveMtaStsOptions } from './options/resolve-options';
export { SYSTEM_HOST_FACTS, type HostFacts, type SystemUser } from './options/host-facts';
