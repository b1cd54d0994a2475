import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { InvalidInputError } from '../domain/errors';

/** Deeper than any body the API takes (its deepest is two levels). */
export const MAX_BODY_DEPTH = 16;

/** Keys that name JavaScript's object machinery; a body that has one is refused like any unknown key. */
const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'];

/**
 * Checks the shape of a JSON body before validation: the validation libraries walk a body
 * recursively, so a deeply nested one (40,000 arrays fit in 100 KB) would overflow the
 * stack, and they skip `__proto__` and `constructor`, which would let such a key through
 * where every other unknown key is refused. The walk here is iterative.
 */
@Injectable()
export class BodyShapePipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') return value;
    const stack: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 1 }];
    while (stack.length > 0) {
      const { node, depth } = stack.pop()!;
      if (node === null || typeof node !== 'object') continue;
      if (depth > MAX_BODY_DEPTH) {
        throw new InvalidInputError(`The request body is nested more than ${MAX_BODY_DEPTH} levels deep.`);
      }
      for (const key of Object.keys(node)) {
        if (RESERVED_KEYS.includes(key)) throw new InvalidInputError(`property ${key} should not exist`);
        stack.push({ node: (node as Record<string, unknown>)[key], depth: depth + 1 });
      }
    }
    return value;
  }
}
