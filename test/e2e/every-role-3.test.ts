import { describeEveryRole } from './every-role.js';

describeEveryRole(2, 4);
