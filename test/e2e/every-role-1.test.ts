import { describeEveryRole } from './every-role.js';

describeEveryRole(0, 4);
