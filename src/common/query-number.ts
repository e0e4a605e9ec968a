import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';

/**
 * A whole-number query value: decimal digits only. class-transformer's Type(() => Number) read
 * `?after=` as 0 and `?limit=1e3` as 1000, so a malformed value passed as another; now it is NaN and
 * the field's own check answers 400 with its sentence.
 */
export function QueryWholeNumber(): PropertyDecorator {
  return Transform(({ value }) => (typeof value === 'string' ? (/^\d+$/.test(value) ? Number(value) : NaN) : value));
}

/** One check and one sentence for a whole-number query value (not one complaint per rule). */
export function WholeNumber(min: number, max: number, message: string): PropertyDecorator {
  return ValidateBy({
    name: 'wholeNumber',
    validator: {
      validate: (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max,
      defaultMessage: () => message,
    },
  });
}
