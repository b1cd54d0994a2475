export const HOST_CONFIG = Symbol('HOST_CONFIG');
