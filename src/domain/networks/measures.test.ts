import { describe, expect, it } from 'vitest';
import { betweenness, communities, degree, groupsBridged, type Pairs } from './measures.js';

// Two triangles joined through one person: the bridge has the highest betweenness and links two groups.
const TWO_GROUPS: Pairs = [['a', 'b'], ['b', 'c'], ['a', 'c'], ['c', 'x'], ['x', 'd'], ['d', 'e'], ['e', 'f'], ['d', 'f']];

describe('network measures', () => {
  it('counts each person\'s distinct links, ignoring repeats and loops', () => {
    expect(degree([['a', 'b'], ['b', 'a'], ['a', 'a'], ['a', 'c']])).toEqual(new Map([['a', 2], ['b', 1], ['c', 1]]));
  });

  it('gives the bridge between two groups the highest betweenness, and a path\'s middle its known value', () => {
    const b = betweenness(TWO_GROUPS);
    const top = [...b].sort((p, q) => q[1] - p[1])[0]![0];
    expect(top).toBe('x');
    expect(b.get('a')).toBe(0);
    expect(betweenness([['a', 'b'], ['b', 'c']]).get('b')).toBe(1);
  });

  it('finds the two groups, and that the bridge links both', () => {
    const c = communities(TWO_GROUPS.filter(([p, q]) => p !== 'x' && q !== 'x'));
    expect(c.get('a')).toBe(c.get('b'));
    expect(c.get('d')).toBe(c.get('f'));
    expect(c.get('a')).not.toBe(c.get('d'));
    expect(groupsBridged(TWO_GROUPS, 'x')).toBe(2);
    expect(groupsBridged(TWO_GROUPS, 'a')).toBe(1);
  });

  it('counts neighbours known to be together (one family, one school year) as one group', () => {
    const star: Pairs = [['x', 'mum'], ['x', 'sister'], ['x', 'c1'], ['x', 'c2'], ['x', 'c3'], ['x', 'friend']];
    expect(groupsBridged(star, 'x')).toBe(6);
    expect(groupsBridged(star, 'x', [['mum', 'sister'], ['c1', 'c2', 'c3']])).toBe(3);
    expect(groupsBridged(star, 'x', [['mum', 'sister', 'c1', 'c2', 'c3', 'friend']])).toBe(1);
  });
});
