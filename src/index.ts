import {main} from './main.js'
import {post} from './post.js'
import {isPostStep} from './state.js'

// action.yml runs this file for both the main and the post step; saved state tells them apart.
await (isPostStep() ? post() : main())
