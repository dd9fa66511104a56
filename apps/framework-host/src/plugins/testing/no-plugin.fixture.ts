export const nothingHere = 42;
