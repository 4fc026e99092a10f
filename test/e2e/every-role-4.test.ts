import { describeEveryRole } from './every-role.js';

describeEveryRole(3, 4);
