import { describeEveryRole } from './every-role.js';

describeEveryRole(1, 4);
