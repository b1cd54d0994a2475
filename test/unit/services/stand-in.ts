/**
 * A stand-in for a collaborator: the methods a test gives, and a failure naming any other
 * member the code under test reaches for, so an unexpected call fails the test instead of
 * passing silently.
 */
export function standIn<T extends object>(name: string, members: Partial<T>): T {
  return new Proxy(members, {
    get(target, property, receiver) {
      // Awaiting a value looks up `then`; a symbol is how Node inspects it.
      if (typeof property === 'symbol' || property === 'then' || property in target) {
        return Reflect.get(target, property, receiver);
      }
      throw new Error(`Unexpected use of ${name}.${property}`);
    },
  }) as T;
}
