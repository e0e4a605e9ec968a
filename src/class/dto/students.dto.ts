import { ArrayMaxSize, IsArray, IsIn, IsString } from 'class-validator';
import { OptionalField } from '../../common/optional';

/** The most names one POST /api/students adds: a big lecture, not an import of a whole school. */
export const MAX_NAMES_PER_REQUEST = 500;

/** POST /api/students: `{ name }` or `{ names: [..] }` (the service checks that exactly one is given). */
export class AddStudentsDto {
  @OptionalField()
  @IsString({ message: 'name must be a string, e.g. "Ada Lovelace"' })
  name?: string;

  @OptionalField()
  @IsArray({ message: 'names must be a list of names, e.g. ["Ada", "Alan"]' })
  @IsString({ each: true, message: 'names must hold only strings' })
  @ArrayMaxSize(MAX_NAMES_PER_REQUEST, { message: `names may hold at most ${MAX_NAMES_PER_REQUEST} names per request` })
  names?: string[];
}

/** POST /api/join. */
export class JoinDto {
  @IsString({ message: "code must be the class's join code, as a string" })
  code: string;

  @IsString({ message: 'name must be a string, e.g. "Ada Lovelace"' })
  name: string;
}

export class RemoveStudentQuery {
  @OptionalField()
  @IsIn(['true', 'false'], { message: 'purge must be true or false' })
  purge?: 'true' | 'false';
}
