import { ValidateIf } from 'class-validator';

/**
 * A body field that may be left out, but not sent as null: class-validator's IsOptional lets null
 * through every other rule, so `{ "configs": null }` was taken although the contract says object.
 */
export function OptionalField(): PropertyDecorator {
  return ValidateIf((_o, value) => value !== undefined);
}
