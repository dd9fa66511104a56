import { InputError } from '@pando/common';
import { parseAttributes, parseKeyValues } from './attributes.parser';

describe('parseAttributes', () => {
  it('parses name:value pairs, turning numbers into numbers', () => {
    expect(parseAttributes('rack:r1;zone:a;level:10;weight:-2.5')).toEqual({ rack: 'r1', zone: 'a', level: 10, weight: -2.5 });
  });

  it('keeps values that only start like numbers as text', () => {
    expect(parseAttributes('os:1.2.3;gen:10a;hex:0x10')).toEqual({ os: '1.2.3', gen: '10a', hex: '0x10' });
  });

  it('allows blanks around tokens, empty tokens and colons inside values', () => {
    expect(parseAttributes(' rack : r1 ;; url:http://x:80 ;')).toEqual({ rack: 'r1', url: 'http://x:80' });
  });

  it('returns nothing for empty text', () => {
    expect(parseAttributes('')).toEqual({});
  });

  it('reports every bad token at once, naming each', () => {
    let error: unknown;
    try {
      parseAttributes('rack;:x;zone:;ok:1;ok:2;bad name:v');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    const problems = (error as InputError).details;
    expect(problems).toEqual([
      "attribute 'rack' must look like name:value",
      "attribute ':x' has no name",
      "attribute 'zone:' has no value",
      "attribute 'ok' is given twice",
      "attribute 'bad name:v': name may contain only letters, digits, '_', '-', '.' and '/'",
    ]);
    expect((error as InputError).message).toContain("attribute 'rack' must look like name:value");
  });
});

describe('parseKeyValues', () => {
  it('parses key=value pairs; values may contain =', () => {
    expect(parseKeyValues('docker-volume-allow=/data, a=b=c,empty=')).toEqual({ 'docker-volume-allow': '/data', a: 'b=c', empty: '' });
  });

  it('names bad tokens', () => {
    expect(() => parseKeyValues('novalue,=x')).toThrow("'novalue' must look like key=value; '=x' must look like key=value");
  });
});
